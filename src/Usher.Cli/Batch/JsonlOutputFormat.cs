using System.Buffers;
using System.Text.Json;

namespace Usher.Cli.Batch;

/// <summary>JSON Lines output: one object per scored row; a wider output is an array.</summary>
internal sealed class JsonlOutputFormat(OutputLayout layout) : IOutputFormat
{
    /// <inheritdoc />
    public ReadOnlySpan<byte> Start => [];

    /// <inheritdoc />
    public Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, chunk.ScoredRows.Length * 96));
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        for (var i = 0; i < chunk.ScoredRows.Length; i++)
        {
            var row = chunk.ScoredRows[i];
            writer.WriteStartObject();
            for (var k = 0; k < layout.Kept.Count; k++)
            {
                writer.WritePropertyName(layout.Kept[k].Name);
                WriteKept(writer, chunk.Source.Kept[k][row]);
            }

            var outputs = chunk.Outputs[chunk.BatchOf[i]];
            for (var o = 0; o < layout.Outputs.Count; o++)
            {
                var spec = layout.Outputs[o];
                var start = chunk.RowInBatch[i] * spec.Width;
                writer.WritePropertyName(spec.Name);
                if (spec.IsScalar)
                {
                    TensorCells.WriteJson(writer, outputs[o], start);
                    continue;
                }

                writer.WriteStartArray();
                for (var e = 0; e < spec.Width; e++)
                {
                    TensorCells.WriteJson(writer, outputs[o], start + e);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.Flush();
            CsvText.WriteByte(buffer, (byte)'\n');
            writer.Reset(buffer);
        }

        return Task.FromResult(EncodedPart.Of(buffer.WrittenSpan.ToArray()));
    }

    /// <inheritdoc />
    public PartLayout Split(ReadOnlySpan<byte> part) => PartLayout.AllRows(part.Length);

    /// <inheritdoc />
    public Task FinishAsync(Stream output, IReadOnlyList<(byte[] Trailer, long Offset)> chunks, CancellationToken cancellationToken) => Task.CompletedTask;

    private static void WriteKept(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case int n: writer.WriteNumberValue(n); break;
            case double d: writer.WriteNumberValue(d); break;
            case float f: writer.WriteNumberValue(f); break;
            case KeptJson json: writer.WriteRawValue(json.Json, skipInputValidation: true); break;
            default: writer.WriteStringValue(TensorCells.KeptText(value)); break;
        }
    }
}
