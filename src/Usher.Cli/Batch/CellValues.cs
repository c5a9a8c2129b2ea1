using System.Globalization;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>Turns one cell into a model input value, or says why it cannot be one.</summary>
internal static class CellValues
{
    /// <summary>Parses text (CSV) as a number for <paramref name="type"/>; null when it fits, else the reason.</summary>
    public static string? Parse(ReadOnlySpan<char> text, DataType type, string column, out double value)
    {
        var trimmed = text.Trim();
        if (trimmed.IsEmpty)
        {
            value = 0;
            return $"column '{column}': missing value";
        }

        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            var shown = trimmed.Length > 40 ? string.Concat(trimmed[..40], "...") : trimmed.ToString();
            return $"column '{column}': not a number ('{shown}')";
        }

        return Check(value, type, column);
    }

    /// <summary>Checks a number against <paramref name="type"/>: finite, and whole and in range for integers.</summary>
    public static string? Check(double value, DataType type, string column)
    {
        if (double.IsNaN(value))
        {
            return $"column '{column}': NaN is not allowed";
        }

        if (double.IsInfinity(value))
        {
            return $"column '{column}': infinity is not allowed";
        }

        if (type is DataType.Fp32 && Math.Abs(value) > float.MaxValue)
        {
            return $"column '{column}': {value.ToString(CultureInfo.InvariantCulture)} is out of the FP32 range";
        }

        if (type is DataType.Fp32 or DataType.Fp64)
        {
            return null;
        }

        var (min, max) = Range(type);
        return Math.Floor(value) != value || value < min || value > max
            ? $"column '{column}': {value.ToString(CultureInfo.InvariantCulture)} is not a {type.ToProtocolName()} value (whole numbers from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})"
            : null;
    }

    private static (double Min, double Max) Range(DataType type) => type switch
    {
        DataType.Bool => (0, 1),
        DataType.UInt8 => (byte.MinValue, byte.MaxValue),
        DataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        DataType.UInt32 => (uint.MinValue, uint.MaxValue),
        DataType.UInt64 => (0, ulong.MaxValue),
        DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.Int16 => (short.MinValue, short.MaxValue),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };
}
