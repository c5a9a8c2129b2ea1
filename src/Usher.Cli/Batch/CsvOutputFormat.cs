using System.Buffers;

namespace Usher.Cli.Batch;

/// <summary>CSV output: a header line, then one line per scored row.</summary>
internal sealed class CsvOutputFormat(OutputLayout layout) : IOutputFormat
{
    // The parts' buffers (about 1 MiB per chunk of fraud): a fresh array per chunk, and the copy made of it,
    // were large objects that only a full collection frees, so the heap swung with the collector's timing
    // (docs/batch.md, "Memory"). As many free buffers per size as parts can be alive at once.
    private readonly ArrayPool<byte> _parts = ArrayPool<byte>.Create(1 << 30, BatchPipeline.ChunksInFlight + 1);
    private readonly long _cellsPerRow = layout.Kept.Count + layout.Outputs.Sum(o => (long)o.Width);
    private readonly byte[] _header = CsvText.Header(layout.CsvColumns());

    /// <inheritdoc />
    public ReadOnlySpan<byte> Start => _header;

    /// <inheritdoc />
    public Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken)
    {
        // Sized for about 16 bytes a cell (a float's shortest round trip is at most 15), so that one rent fits most parts.
        using var buffer = new PartStream(_parts, (int)Math.Min(Array.MaxLength, chunk.ScoredRows.Length * ((16L * _cellsPerRow) + 1)));
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

        return Task.FromResult(buffer.Detach());
    }

    /// <inheritdoc />
    public PartLayout Split(ReadOnlySpan<byte> part) => PartLayout.AllRows(part.Length);

    /// <inheritdoc />
    public Task FinishAsync(Stream output, IReadOnlyList<(byte[] Trailer, long Offset)> chunks, CancellationToken cancellationToken) => Task.CompletedTask;

    private static void Separate(IBufferWriter<byte> buffer, ref bool first)
    {
        if (!first)
        {
            CsvText.WriteByte(buffer, (byte)',');
        }

        first = false;
    }
}
