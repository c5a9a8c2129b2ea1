using System.Buffers;

namespace Usher.Cli.Batch;

/// <summary>CSV output: a header line, then one line per scored row.</summary>
internal sealed class CsvOutputFormat(OutputLayout layout) : IOutputFormat
{
    /// <inheritdoc />
    public Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Max(256, chunk.ScoredRows.Length * 64));
        for (var i = 0; i < chunk.ScoredRows.Length; i++)
        {
            var row = chunk.ScoredRows[i];
            var first = true;
            foreach (var kept in chunk.Source.Kept)
            {
                Separate(buffer, ref first);
                CsvText.WriteCell(buffer, TensorCells.KeptText(kept[row]));
            }

            var outputs = chunk.Outputs[chunk.BatchOf[i]];
            for (var o = 0; o < layout.Outputs.Count; o++)
            {
                var width = layout.Outputs[o].Width;
                var start = chunk.RowInBatch[i] * width;
                for (var e = 0; e < width; e++)
                {
                    Separate(buffer, ref first);
                    TensorCells.WriteText(buffer, outputs[o], start + e);
                }
            }

            CsvText.WriteByte(buffer, (byte)'\n');
        }

        return Task.FromResult(EncodedPart.Of(buffer.WrittenSpan.ToArray()));
    }

    /// <inheritdoc />
    public Task AssembleAsync(IReadOnlyList<string> parts, Stream output, CancellationToken cancellationToken)
        => ConcatenatedParts.WriteAsync(CsvText.Header(layout.CsvColumns()), parts, output, cancellationToken);

    private static void Separate(IBufferWriter<byte> buffer, ref bool first)
    {
        if (!first)
        {
            CsvText.WriteByte(buffer, (byte)',');
        }

        first = false;
    }
}
