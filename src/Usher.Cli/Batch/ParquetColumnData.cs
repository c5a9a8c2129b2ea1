using System.Numerics;
using Parquet;
using Parquet.Schema;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// One column of one row group as read ("raw": the non-null values, with definition and repetition
/// levels): numbers as doubles for the inputs, or values as they are for kept columns. Knows where
/// each row's values start, for flat and list columns alike.
/// </summary>
internal sealed class ParquetColumnData
{
    private readonly double[]? _numbers;
    private readonly Array _values;
    private readonly int[] _rowLevelStart;
    private readonly int[] _rowValueStart;

    private ParquetColumnData(double[]? numbers, Array values, int[] rowLevelStart, int[] rowValueStart)
    {
        _numbers = numbers;
        _values = values;
        _rowLevelStart = rowLevelStart;
        _rowValueStart = rowValueStart;
    }

    /// <summary>Reads <paramref name="field"/> of <paramref name="group"/>, which has <paramref name="rows"/> rows.</summary>
    public static async Task<ParquetColumnData> ReadAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellationToken)
    {
        var levels = checked((int)group.GetMetadata(field)!.MetaData!.NumValues);
        // Parquet.Net wants both level buffers even for a required, flat column; they are read only when the field has levels.
        var definitions = new int[levels];
        var repetitions = new int[levels];
        var type = field.ClrType;
        Array values;
        double[]? numbers = null;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var strings = new string?[levels];
            await group.ReadAsync(field, strings.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            if (field.MaxRepetitionLevel > 0)
            {
                throw new NotSupportedException($"column '{field.Name}': lists of strings cannot be read");
            }

            // Strings come one per row, null where missing: no levels needed.
            return new ParquetColumnData(null, strings, Enumerable.Range(0, rows + 1).ToArray(), Enumerable.Range(0, rows + 1).ToArray());
        }

        (values, numbers) = type switch
        {
            _ when type == typeof(float) => await Numbers<float>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(double) => await Numbers<double>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(int) => await Numbers<int>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(long) => await Numbers<long>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(short) => await Numbers<short>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(sbyte) => await Numbers<sbyte>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(byte) => await Numbers<byte>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ushort) => await Numbers<ushort>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(uint) => await Numbers<uint>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(ulong) => await Numbers<ulong>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(bool) => await Booleans(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false),
            _ when type == typeof(DateTime) => (await Raw<DateTime>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false), null),
            _ => throw new NotSupportedException($"column '{field.Name}': Parquet values of type {type.Name} cannot be read"),
        };

        var rowLevelStart = new int[rows + 1];
        var rowValueStart = new int[rows + 1];
        var row = -1;
        var valueIndex = 0;
        for (var i = 0; i < levels; i++)
        {
            if (field.MaxRepetitionLevel == 0 || repetitions[i] == 0)
            {
                row++;
                rowLevelStart[row] = i;
                rowValueStart[row] = valueIndex;
            }

            if (field.MaxDefinitionLevel == 0 || definitions[i] == field.MaxDefinitionLevel)
            {
                valueIndex++;
            }
        }

        rowLevelStart[rows] = levels;
        rowValueStart[rows] = valueIndex;
        return new ParquetColumnData(numbers, values, rowLevelStart, rowValueStart);
    }

    /// <summary>Row <paramref name="row"/>'s number for an input of <paramref name="type"/>; null when it fits, else the reason.</summary>
    public string? Number(int row, DataType type, string column, out double value)
    {
        value = 0;
        if (_numbers is null)
        {
            return $"column '{column}': {_values.GetType().GetElementType()!.Name} values are not numbers";
        }

        if (_rowValueStart[row + 1] == _rowValueStart[row])
        {
            return $"column '{column}': missing value";
        }

        value = _numbers[_rowValueStart[row]];
        return CellValues.Check(value, type, column);
    }

    /// <summary>Copies row <paramref name="row"/>'s list into <paramref name="values"/>; null when it fits, else the reason.</summary>
    public string? CopyList(int row, Span<double> values, BatchTensor tensor, string column)
    {
        if (_numbers is null)
        {
            return $"column '{column}': {_values.GetType().GetElementType()!.Name} values are not numbers";
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

        _numbers.AsSpan(first, count).CopyTo(values);
        foreach (var v in values)
        {
            if (CellValues.Check(v, tensor.DataType, column) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>Row <paramref name="row"/>'s value as it is (null where missing); a list is not kept.</summary>
    public object? Value(int row)
    {
        var first = _rowValueStart[row];
        return _rowValueStart[row + 1] - first == 1 ? _values.GetValue(first) : null;
    }

    private static async Task<(Array, double[]?)> Numbers<T>(ParquetRowGroupReader group, DataField field, int levels, int[] definitions, int[] repetitions, CancellationToken cancellationToken)
        where T : struct, INumberBase<T>
    {
        var raw = await Raw<T>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false);
        var numbers = new double[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            numbers[i] = double.CreateTruncating(raw[i]);
        }

        return (raw, numbers);
    }

    private static async Task<(Array, double[]?)> Booleans(ParquetRowGroupReader group, DataField field, int levels, int[] definitions, int[] repetitions, CancellationToken cancellationToken)
    {
        var raw = await Raw<bool>(group, field, levels, definitions, repetitions, cancellationToken).ConfigureAwait(false);
        return (raw, [.. raw.Select(b => b ? 1.0 : 0.0)]);
    }

    private static async Task<T[]> Raw<T>(ParquetRowGroupReader group, DataField field, int levels, int[] definitions, int[] repetitions, CancellationToken cancellationToken)
        where T : struct
    {
        var raw = new T[levels];
        await group.ReadRawAsync(field, raw.AsMemory(), definitions.AsMemory(), repetitions.AsMemory(), cancellationToken).ConfigureAwait(false);
        if (field.MaxDefinitionLevel == 0)
        {
            return raw;
        }

        // Only the defined entries carry a value.
        var defined = definitions.Count(d => d == field.MaxDefinitionLevel);
        return defined == raw.Length ? raw : raw[..defined];
    }
}
