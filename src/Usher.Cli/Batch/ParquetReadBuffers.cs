using System.Runtime.CompilerServices;

namespace Usher.Cli.Batch;

/// <summary>
/// The buffers a <see cref="ParquetRowSource"/> decodes its row groups into: per needed column, its
/// values in their Parquet type, and one pair of level buffers that every column shares (levels are
/// needed only while a column is read, to find where each row starts). Owned by the source and
/// reused from row group to row group, growing to the largest group's needs and no further, so the
/// memory the reader holds is an explicit, fixed amount (<see cref="Bytes"/>, at most
/// <see cref="ParquetFiles.MaxRowGroupBytes"/>), not buffers returned to the shared pool from
/// whichever thread the read continued on (which keeps one per thread).
/// </summary>
internal sealed class ParquetReadBuffers
{
    private readonly Dictionary<int, Array> _values = [];
    private readonly Dictionary<int, long> _valueBytes = [];
    private int[] _definitions = [];
    private int[] _repetitions = [];

    /// <summary>The bytes held now.</summary>
    public long Bytes => _valueBytes.Values.Sum() + (((long)_definitions.Length + _repetitions.Length) * sizeof(int));

    /// <summary>A buffer of at least <paramref name="length"/> values for column <paramref name="column"/>; its contents are whatever the last group left.</summary>
    public T[] Values<T>(int column, int length)
    {
        if (_values.TryGetValue(column, out var held) && held is T[] typed && typed.Length >= length)
        {
            return typed;
        }

        var grown = GC.AllocateUninitializedArray<T>(Math.Max(1, length));
        _values[column] = grown;
        _valueBytes[column] = (long)grown.Length * Unsafe.SizeOf<T>();
        return grown;
    }

    /// <summary>Definition and repetition level buffers of at least <paramref name="length"/> each, shared by every column.</summary>
    public (int[] Definitions, int[] Repetitions) Levels(int length)
    {
        if (_definitions.Length < length)
        {
            _definitions = GC.AllocateUninitializedArray<int>(Math.Max(1, length));
            _repetitions = GC.AllocateUninitializedArray<int>(Math.Max(1, length));
        }

        return (_definitions, _repetitions);
    }
}
