using Parquet;
using Parquet.Schema;

namespace Usher.Cli.Batch;

/// <summary>
/// A Parquet file, read row group by row group with Parquet.Net: only the mapped and kept columns.
/// Top-level data fields are columns; a list of numbers is a list column. Shards split at row groups.
/// </summary>
internal sealed class ParquetRowSource : IRowSource
{
    private readonly string _path;
    private readonly ParquetReader _reader;
    private readonly IReadOnlyList<Field> _fields;
    private readonly long[] _groupStarts;
    private readonly ParquetReadBuffers _buffers = new();
    private readonly ParquetListColumnReader _lists;

    private ParquetRowSource(string path, ParquetReader reader, IReadOnlyList<Field> fields, IReadOnlyList<SourceColumn> columns, long[] groupStarts)
    {
        _path = path;
        _reader = reader;
        _fields = fields;
        Columns = columns;
        _groupStarts = groupStarts;
        _lists = ParquetListColumnReader.Open(path);
    }

    /// <inheritdoc />
    public IReadOnlyList<SourceColumn> Columns { get; }

    /// <inheritdoc />
    public long RowCount => _groupStarts[^1];

    /// <summary>The bytes held to decode row groups: the largest group's needed columns read so far.</summary>
    public long BufferBytes => _buffers.Bytes + _lists.Bytes;

    /// <inheritdoc />
    public IReadOnlyList<long>? ShardBoundaries => _groupStarts;

    /// <summary>Opens <paramref name="path"/> and reads its schema and row-group sizes.</summary>
    public static async Task<ParquetRowSource> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var reader = await ParquetReader.CreateAsync(path, ParquetFiles.Options(), cancellationToken).ConfigureAwait(false);
        var fields = reader.Schema.Fields.ToList();
        var columns = fields.Select(f => f switch
        {
            DataField d => new SourceColumn(d.Name, IsList: false, d.ClrType),
            ListField { Item: DataField item } l => new SourceColumn(l.Name, IsList: true, item.ClrType),
            _ => new SourceColumn(f.Name, IsList: false, typeof(object)),
        }).ToList();
        var starts = new long[reader.RowGroupCount + 1];
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            starts[g + 1] = starts[g] + group.RowCount;
        }

        return new ParquetRowSource(path, reader, fields, columns, starts);
    }

    /// <summary>
    /// Null when every row group's columns that <paramref name="mapping"/> reads fit
    /// <paramref name="maxBytes"/> (<see cref="ParquetFiles.MaxRowGroupBytes"/>) while read; else the problem, before any row is read.
    /// </summary>
    public string? CheckRowGroups(ColumnMapping mapping, long maxBytes)
    {
        var needed = ListColumns(mapping).Concat(ScalarColumns(mapping)).Select(Leaf).ToList();
        for (var g = 0; g < _reader.RowGroupCount; g++)
        {
            using var group = _reader.OpenRowGroupReader(g);
            var bytes = needed.Sum(field => ParquetFiles.ReadBytes(field.ClrType, group.GetMetadata(field)?.MetaData?.NumValues ?? 0));
            if (bytes > maxBytes)
            {
                return $"--input: row group {g} of {_path} ({group.RowCount:N0} rows) needs {bytes >> 20:N0} MiB to read its {needed.Count} needed columns, "
                    + $"more than the {maxBytes >> 20:N0} MiB that usher batch allows: a row group is the smallest unit it can read "
                    + "(Parquet.Net decodes a column chunk whole); rewrite the file with smaller row groups";
            }
        }

        return null;
    }

    /// <inheritdoc />
    public async Task ReadAsync(long start, long end, ColumnMapping mapping, ChunkBuilder chunks, CancellationToken cancellationToken)
    {
        var row = start;
        var scalarColumns = ScalarColumns(mapping);
        var blocks = mapping.Keep.Count == 0 && mapping.Inputs.All(b => b.ListColumn >= 0);
        for (var g = 0; g < _reader.RowGroupCount && row < end; g++)
        {
            var groupStart = _groupStarts[g];
            var groupEnd = _groupStarts[g + 1];
            if (groupEnd <= row)
            {
                continue;
            }

            // One row group's needed column chunks at a time, in the source's buffers that the next group reuses.
            using var group = _reader.OpenRowGroupReader(g);
            var rows = checked((int)group.RowCount);
            var inputs = new ParquetColumnData?[mapping.Inputs.Count];
            var scalars = new Dictionary<int, ParquetColumnData>();
            for (var b = 0; b < inputs.Length; b++)
            {
                var binding = mapping.Inputs[b];
                if (binding.ListColumn >= 0)
                {
                    inputs[b] = await ParquetColumnData.ReadAsync(group, Leaf(binding.ListColumn), binding.ListColumn, rows, _buffers, _lists, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var column in scalarColumns)
            {
                scalars[column] = await ParquetColumnData.ReadAsync(group, Leaf(column), column, rows, _buffers, lists: null, cancellationToken).ConfigureAwait(false);
            }

            var last = Math.Min(groupEnd, end);
            while (row < last)
            {
                // As many rows as fit the chunk: one block copy per input when every input is a list column of
                // fixed-width rows in the input's datatype (mlp-large); else, or when a value does not fit, row by row.
                var chunk = chunks.For(row);
                var first = (int)(row - groupStart);
                var count = (int)Math.Min(chunk.Capacity - chunk.Rows, last - row);
                if (blocks && FillBlock(chunk, mapping, first, count, inputs))
                {
                    chunk.CommitGood(count);
                }
                else
                {
                    for (var r = first; r < first + count; r++)
                    {
                        Fill(chunk, mapping, r, inputs, scalars);
                    }
                }

                row += count;
                await chunks.RowDoneAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _lists.Dispose();
        return _reader.DisposeAsync();
    }

    private static List<int> ListColumns(ColumnMapping mapping) => [.. mapping.Inputs.Where(b => b.ListColumn >= 0).Select(b => b.ListColumn)];

    private static List<int> ScalarColumns(ColumnMapping mapping)
        => [.. mapping.Inputs.Where(b => b.ListColumn < 0).SelectMany(b => b.Columns).Concat(mapping.Keep).Distinct()];

    private DataField Leaf(int column) => _fields[column] switch
    {
        DataField d => d,
        ListField { Item: DataField item } => item,
        var other => throw new InvalidOperationException($"column '{other.Name}' is not a data or list field"),
    };

    // Rows [first, +rows) of the group into the chunk's next rows, one block per input; false when an input's
    // rows are not fixed-width lists in its datatype or hold a value that is not finite (Fill then rewrites them).
    private static bool FillBlock(RowChunk chunk, ColumnMapping mapping, int first, int rows, ParquetColumnData?[] lists)
    {
        for (var b = 0; b < mapping.Inputs.Count; b++)
        {
            if (!lists[b]!.TryCopyRows(first, rows, chunk.Block(b, chunk.Rows, rows), mapping.Inputs[b].Tensor))
            {
                return false;
            }
        }

        return true;
    }

    private static void Fill(RowChunk chunk, ColumnMapping mapping, int r, ParquetColumnData?[] lists, Dictionary<int, ParquetColumnData> scalars)
    {
        var at = chunk.Rows;
        string? error = null;
        for (var b = 0; b < mapping.Inputs.Count && error is null; b++)
        {
            var binding = mapping.Inputs[b];
            var tensor = binding.Tensor;
            var values = chunk.Row(b, at);
            if (binding.ListColumn >= 0)
            {
                error = lists[b]!.CopyList(r, values, tensor, mapping.Columns[binding.ListColumn].Name);
                continue;
            }

            for (var i = 0; i < binding.Columns.Count && error is null; i++)
            {
                error = scalars[binding.Columns[i]].Number(r, tensor.DataType, mapping.Columns[binding.Columns[i]].Name, out var value);
                TensorPacker.Write(values, tensor.DataType, i, value);
            }
        }

        for (var k = 0; k < mapping.Keep.Count; k++)
        {
            chunk.Kept[k][at] = scalars[mapping.Keep[k]].Value(r);
        }

        chunk.Commit(error);
    }
}
