using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace Usher.Cli.Batch;

/// <summary>
/// One column of one row group as read ("raw": the non-null values, with definition and repetition
/// levels). Knows where each row's values start, for flat and list columns alike. The values stay
/// in their Parquet type, in the source's buffer for the column (<see cref="ParquetReadBuffers"/>,
/// reused from group to group), and are converted to numbers one row at a time as the chunks are
/// filled; the level buffers are shared by every column and needed only until the rows' starts are
/// known. Parquet.Net 6.1 decodes a column chunk of a row group in one call (its page reader is
/// internal), so one column chunk is the smallest unit it reads.
/// </summary>
internal sealed class ParquetColumnData
{
    private readonly ParquetValues _values;
    private readonly int[] _rowLevelStart;
    private readonly int[] _rowValueStart;
    private int _uniformWidth = -1;

    private ParquetColumnData(ParquetValues values, int[] rowLevelStart, int[] rowValueStart)
    {
        _values = values;
        _rowLevelStart = rowLevelStart;
        _rowValueStart = rowValueStart;
    }

    /// <summary>
    /// Reads <paramref name="field"/> (column <paramref name="column"/> of the file) of <paramref name="group"/>, which has
    /// <paramref name="rows"/> rows, into <paramref name="buffers"/>; valid until the column's next read into them.
    /// A list column of fixed-width FP32, FP64 or INT64 rows, none missing, is read by <paramref name="lists"/>
    /// where it takes the column chunk's pages; anything else, and what it declines, by Parquet.Net.
    /// </summary>
    public static async Task<ParquetColumnData> ReadAsync(ParquetRowGroupReader group, DataField field, int column, int rows, ParquetReadBuffers buffers, ParquetListColumnReader? lists, CancellationToken cancellationToken)
    {
        var chunk = group.GetMetadata(field)!;
        var levels = checked((int)chunk.MetaData!.NumValues);
        var type = field.ClrType;
        if (lists is not null && ParquetListColumnReader.Handles(field))
        {
            var read = type == typeof(float) ? await Lists<float>(lists, chunk, field, column, rows, buffers, levels, cancellationToken).ConfigureAwait(false)
                : type == typeof(double) ? await Lists<double>(lists, chunk, field, column, rows, buffers, levels, cancellationToken).ConfigureAwait(false)
                : await Lists<long>(lists, chunk, field, column, rows, buffers, levels, cancellationToken).ConfigureAwait(false);
            if (read is not null)
            {
                return read;
            }
        }

        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            if (field.MaxRepetitionLevel > 0)
            {
                throw new NotSupportedException($"column '{field.Name}': lists of strings cannot be read");
            }

            var strings = new string?[levels];
            await group.ReadAsync(field, strings.AsMemory(), null, cancellationToken).ConfigureAwait(false);

            // Strings come one per row, null where missing: no levels needed.
            var identity = Enumerable.Range(0, rows + 1).ToArray();
            return new ParquetColumnData(new ParquetObjects<string?>(strings), identity, identity);
        }

        // Parquet.Net wants both level buffers even for a required, flat column; they are read only when the field has levels.
        var (definitions, repetitions) = buffers.Levels(levels);
        ParquetValues values = type switch
        {
            _ when type == typeof(float) => await Numbers<float>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(double) => await Numbers<double>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(int) => await Numbers<int>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(long) => await Numbers<long>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(short) => await Numbers<short>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await Numbers<sbyte>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(byte) => await Numbers<byte>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ushort) => await Numbers<ushort>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(uint) => await Numbers<uint>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ulong) => await Numbers<ulong>(group, field, column, buffers, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(bool) => new ParquetObjects<bool>(await Raw<bool>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false)),
            _ when type == typeof(DateTime) => new ParquetObjects<DateTime>(await Raw<DateTime>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false)),
            _ => throw new NotSupportedException($"column '{field.Name}': Parquet values of type {type.Name} cannot be read"),
        };

        var (rowLevelStart, rowValueStart) = RowStarts(field, rows, definitions.AsSpan(0, levels), repetitions.AsSpan(0, levels));
        return new ParquetColumnData(values, rowLevelStart, rowValueStart);
    }

    /// <summary>
    /// Where each row's levels and values start. Searched a vector at a time (a list of 1,024 floats
    /// is 1,024 levels per row): a column without a missing value has its values where its levels
    /// are, and a row starts at a repetition level of 0; only a column with missing values is walked
    /// level by level.
    /// </summary>
    internal static (int[] LevelStarts, int[] ValueStarts) RowStarts(DataField field, int rows, ReadOnlySpan<int> definitions, ReadOnlySpan<int> repetitions)
    {
        var levels = definitions.Length;
        var rowLevelStart = new int[rows + 1];
        var complete = field.MaxDefinitionLevel == 0 || !definitions.ContainsAnyExcept(field.MaxDefinitionLevel);
        if (complete)
        {
            if (field.MaxRepetitionLevel == 0)
            {
                for (var r = 0; r <= rows; r++)
                {
                    rowLevelStart[r] = Math.Min(r, levels);
                }
            }
            else
            {
                var row = 0;
                for (var i = 0; i < levels && row < rows; row++)
                {
                    rowLevelStart[row] = i;
                    var next = repetitions[(i + 1)..].IndexOf(0);
                    i = next < 0 ? levels : i + 1 + next;
                }

                rowLevelStart.AsSpan(row).Fill(levels);
            }

            rowLevelStart[rows] = levels;
            return (rowLevelStart, rowLevelStart);
        }

        var rowValueStart = new int[rows + 1];
        var current = -1;
        var valueIndex = 0;
        for (var i = 0; i < levels; i++)
        {
            if (field.MaxRepetitionLevel == 0 || repetitions[i] == 0)
            {
                current++;
                rowLevelStart[current] = i;
                rowValueStart[current] = valueIndex;
            }

            if (definitions[i] == field.MaxDefinitionLevel)
            {
                valueIndex++;
            }
        }

        rowLevelStart[rows] = levels;
        rowValueStart[rows] = valueIndex;
        return (rowLevelStart, rowValueStart);
    }

    /// <summary>Row <paramref name="row"/>'s number for an input of <paramref name="type"/>; null when it fits, else the reason.</summary>
    public string? Number(int row, Usher.Core.Tensors.DataType type, string column, out double value)
    {
        value = 0;
        if (!_values.AreNumbers)
        {
            return $"column '{column}': {_values.ElementType.Name} values are not numbers";
        }

        if (_rowValueStart[row + 1] == _rowValueStart[row])
        {
            return $"column '{column}': missing value";
        }

        value = _values.Number(_rowValueStart[row]);
        return CellValues.Check(value, type, column);
    }

    /// <summary>Copies row <paramref name="row"/>'s list into <paramref name="values"/>; null when it fits, else the reason.</summary>
    public string? CopyList(int row, Span<byte> values, BatchTensor tensor, string column)
    {
        if (!_values.AreNumbers)
        {
            return $"column '{column}': {_values.ElementType.Name} values are not numbers";
        }

        var first = _rowValueStart[row];
        var count = _rowValueStart[row + 1] - first;
        var levels = _rowLevelStart[row + 1] - _rowLevelStart[row];
        if (count != levels || count != tensor.Width)
        {
            var nulls = levels - count;
            return nulls > 0 && levels == tensor.Width
                ? $"column '{column}': {nulls} missing values"
                : $"column '{column}': expected {tensor.Width} values for input {tensor.Describe()}, got {count}";
        }

        return _values.CopyNumbers(first, values, tensor, column);
    }

    /// <summary>
    /// Copies rows [<paramref name="row"/>, +<paramref name="rows"/>) as one block into <paramref name="values"/> (a chunk's
    /// rows of <paramref name="tensor"/>, row-major) when this is a column whose rows all hold exactly the tensor's width,
    /// none missing, in its datatype; true when they were copied and every value is finite. False when they cannot
    /// be (the rows are then read one by one through <see cref="CopyList"/>, which names the reason of any that fails).
    /// </summary>
    public bool TryCopyRows(int row, int rows, Span<byte> values, BatchTensor tensor)
        => _values.AreNumbers && IsUniform(tensor.Width) && _values.TryCopyBlock(row * tensor.Width, rows * tensor.Width, values, tensor);

    /// <summary>Row <paramref name="row"/>'s value as it is (null where missing); a list is not kept.</summary>
    public object? Value(int row)
    {
        var first = _rowValueStart[row];
        return _rowValueStart[row + 1] - first == 1 ? _values.Box(first) : null;
    }

    // Whether every row holds exactly width values, none missing (row r's values start at r × width);
    // found once per column chunk and width.
    private bool IsUniform(int width)
    {
        if (_uniformWidth >= 0)
        {
            return _uniformWidth == width;
        }

        var uniform = !ReferenceEquals(_rowLevelStart, _rowValueStart) ? 0 : width;
        for (var r = 0; r < _rowValueStart.Length && uniform > 0; r++)
        {
            if (_rowValueStart[r] != r * width)
            {
                uniform = 0;
            }
        }

        _uniformWidth = uniform;
        return uniform == width && width > 0;
    }

    // The chunk read by the list reader into the column's buffer, with rows r x width apart; null when it declines.
    private static async Task<ParquetColumnData?> Lists<T>(ParquetListColumnReader lists, Parquet.Meta.ColumnChunk chunk, DataField field, int column, int rows, ParquetReadBuffers buffers, int levels, CancellationToken cancellationToken)
        where T : unmanaged, INumberBase<T>
    {
        var values = buffers.Values<T>(column, levels);
        var width = await lists.TryReadAsync(chunk, field, rows, values, cancellationToken).ConfigureAwait(false);
        if (width <= 0)
        {
            return null;
        }

        var starts = new int[rows + 1];
        for (var r = 0; r <= rows; r++)
        {
            starts[r] = r * width;
        }

        return new ParquetColumnData(new ParquetNumbers<T>(values), starts, starts) { _uniformWidth = width };
    }

    private static async Task<ParquetValues> Numbers<T>(ParquetRowGroupReader group, DataField field, int column, ParquetReadBuffers buffers, int levels, int[] definitions, int[] repetitions, CancellationToken cancellationToken)
        where T : struct, INumberBase<T>
    {
        var values = buffers.Values<T>(column, levels);
        await group.ReadRawAsync(field, values.AsMemory(0, levels), definitions.AsMemory(0, levels), repetitions.AsMemory(0, levels), cancellationToken).ConfigureAwait(false);
        return new ParquetNumbers<T>(values);
    }

    private static async Task<T[]> Raw<T>(ParquetRowGroupReader group, DataField field, int levels, int[] definitions, int[] repetitions, CancellationToken cancellationToken)
        where T : struct
    {
        var raw = new T[levels];
        await group.ReadRawAsync(field, raw.AsMemory(), definitions.AsMemory(0, levels), repetitions.AsMemory(0, levels), cancellationToken).ConfigureAwait(false);
        return raw;
    }
}
