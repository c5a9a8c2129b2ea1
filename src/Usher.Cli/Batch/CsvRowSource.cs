using nietras.SeparatedValues;

namespace Usher.Cli.Batch;

/// <summary>
/// A CSV file with a header line, read with Sep. One record per line: the line count sets the
/// row count (and the shards' line ranges).
/// </summary>
internal sealed class CsvRowSource : IRowSource
{
    private readonly SepReader _reader;

    private CsvRowSource(SepReader reader, long rows)
    {
        _reader = reader;
        Columns = [.. reader.Header.ColNames.Select(n => new SourceColumn(n, IsList: false))];
        RowCount = rows;
    }

    /// <inheritdoc />
    public IReadOnlyList<SourceColumn> Columns { get; }

    /// <inheritdoc />
    public long RowCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<long>? ShardBoundaries => null;

    /// <summary>Opens <paramref name="path"/> and reads its header.</summary>
    public static CsvRowSource Open(string path)
    {
        var lines = LineCounter.Count(path);
        var reader = Sep.Reader(o => o with { Sep = new Sep(','), HasHeader = true, DisableColCountCheck = true, Unescape = true }).FromFile(path);
        return new CsvRowSource(reader, Math.Max(0, lines - 1));
    }

    /// <inheritdoc />
    public async Task ReadAsync(long start, long end, ColumnMapping mapping, ChunkBuilder chunks, CancellationToken cancellationToken)
    {
        long row = 0;
        while (row < start && _reader.MoveNext())
        {
            row++;
        }

        while (row < end && _reader.MoveNext())
        {
            Fill(_reader.Current, chunks.For(row), mapping, Columns.Count);
            row++;
            await chunks.RowDoneAsync(cancellationToken).ConfigureAwait(false);
        }

        await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Fill(SepReader.Row row, RowChunk chunk, ColumnMapping mapping, int expectedColumns)
    {
        var at = chunk.Rows;
        string? error = null;
        if (row.ColCount != expectedColumns)
        {
            error = $"expected {expectedColumns} columns as in the header, got {row.ColCount}";
        }
        else
        {
            for (var b = 0; b < mapping.Inputs.Count && error is null; b++)
            {
                var binding = mapping.Inputs[b];
                var values = chunk.Row(b, at);
                for (var i = 0; i < binding.Columns.Count; i++)
                {
                    var column = binding.Columns[i];
                    error = CellValues.Parse(row[column].Span, binding.Tensor.DataType, mapping.Columns[column].Name, out var value);
                    if (error is not null)
                    {
                        break;
                    }

                    TensorPacker.Write(values, binding.Tensor.DataType, i, value);
                }
            }
        }

        for (var k = 0; k < mapping.Keep.Count; k++)
        {
            chunk.Kept[k][at] = mapping.Keep[k] < row.ColCount ? row[mapping.Keep[k]].ToString() : null;
        }

        chunk.Commit(error);
    }
}
