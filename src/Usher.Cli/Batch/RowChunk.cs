using System.Buffers;

namespace Usher.Cli.Batch;

/// <summary>
/// One chunk of input rows as read: the unit of batching, of committing and of resuming. Chunk
/// <see cref="Index"/> holds rows [<see cref="FirstRow"/>, <see cref="FirstRow"/> + <see cref="Rows"/>).
/// The values are held in each input's own datatype (4 bytes per FP32 value), row-major, in buffers rented
/// from the pipeline's pool: a batch of consecutive good rows is a slice of them, handed to the model without
/// a copy. <see cref="ReturnValues"/> gives them back once the chunk's batches have run.
/// </summary>
internal sealed class RowChunk
{
    private readonly ArrayPool<byte> _pool;
    private readonly int[] _rowBytes;
    private readonly ChunkRowArrays? _rows;

    private RowChunk(long index, long firstRow, int capacity, ColumnMapping mapping, ArrayPool<byte> pool, ChunkRowArrays? rows)
    {
        _pool = pool;
        _rows = rows;
        Index = index;
        FirstRow = firstRow;
        _rowBytes = [.. mapping.Inputs.Select(b => TensorPacker.Bytes(b.Tensor, 1))];
        Values = [.. _rowBytes.Select(bytes => pool.Rent(capacity * bytes))];
        Kept = [.. mapping.Keep.Select(_ => rows?.Kept.Rent(capacity) ?? new object?[capacity])];
        Errors = rows?.Errors.Rent(capacity) ?? new string?[capacity];
    }

    /// <summary>The chunk's number within the job (rows of chunk k start at range start + k × chunk rows).</summary>
    public long Index { get; }

    /// <summary>The 0-based number of its first data row in the input file.</summary>
    public long FirstRow { get; }

    /// <summary>Rows read into the chunk.</summary>
    public int Rows { get; private set; }

    /// <summary>Per model input, the rows' values in the input's datatype, row-major (<c>Rows × Width</c> elements).</summary>
    public byte[][] Values { get; }

    /// <summary>Per kept column, the rows' values (string, long, double, bool, a Parquet value, or null).</summary>
    public object?[][] Kept { get; }

    /// <summary>Per row, why it cannot be scored; null when it can.</summary>
    public string?[] Errors { get; private set; }

    /// <summary>Rows with an error.</summary>
    public int ErrorCount { get; private set; }

    /// <summary>
    /// A chunk for up to <paramref name="capacity"/> rows, its values rented from <paramref name="pool"/>, its
    /// per-row arrays (kept values, errors) from <paramref name="rows"/> when given (<see cref="ReturnRows"/> gives them back).
    /// </summary>
    public static RowChunk Create(long index, long firstRow, int capacity, ColumnMapping mapping, ArrayPool<byte> pool, ChunkRowArrays? rows = null)
        => new(index, firstRow, capacity, mapping, pool, rows);

    /// <summary>The bytes of input <paramref name="input"/>'s values in row <paramref name="row"/> (0-based in the chunk).</summary>
    public Span<byte> Row(int input, int row) => Values[input].AsSpan(row * _rowBytes[input], _rowBytes[input]);

    /// <summary>The most rows the chunk holds.</summary>
    public int Capacity => Errors.Length;

    /// <summary>The bytes of input <paramref name="input"/>'s values in rows [<paramref name="first"/>, +<paramref name="count"/>), one block.</summary>
    public Span<byte> Block(int input, int first, int count) => Values[input].AsSpan(first * _rowBytes[input], count * _rowBytes[input]);

    /// <summary>Counts <paramref name="count"/> more rows as read, all of them good (their values already written from row <see cref="Rows"/> on).</summary>
    public void CommitGood(int count) => Rows += count;

    /// <summary>Counts one more row as read (its values already written at <see cref="Rows"/>).</summary>
    public void Commit(string? error)
    {
        if (error is not null)
        {
            Errors[Rows] = error;
            ErrorCount++;
        }

        Rows++;
    }

    /// <summary>Marks a row that was read but could not be scored.</summary>
    public void Fail(int row, string reason)
    {
        lock (Errors)
        {
            if (Errors[row] is null)
            {
                ErrorCount++;
            }

            Errors[row] = reason;
        }
    }

    /// <summary>Returns the pooled value buffers.</summary>
    public void ReturnValues()
    {
        for (var i = 0; i < Values.Length; i++)
        {
            if (Values[i].Length > 0)
            {
                _pool.Return(Values[i]);
                Values[i] = [];
            }
        }
    }

    /// <summary>Gives the per-row arrays back once nothing reads the chunk any more (it is encoded); the chunk is empty afterwards.</summary>
    public void ReturnRows()
    {
        if (_rows is null)
        {
            return;
        }

        for (var k = 0; k < Kept.Length; k++)
        {
            _rows.Kept.Return(Kept[k]);
            Kept[k] = [];
        }

        _rows.Errors.Return(Errors);
        Errors = [];
        Rows = 0;
        ErrorCount = 0;
    }
}
