using System.Globalization;

namespace Usher.Core.Tensors;

/// <summary>Helpers for shapes, which are <c>long[]</c> with -1 for a variable dimension in specs.</summary>
internal static class TensorShape
{
    /// <summary>The number of elements of a concrete shape (1 for a scalar, rank 0).</summary>
    /// <exception cref="OverflowException">When the product does not fit in a long.</exception>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            count = checked(count * dim);
        }

        return count;
    }

    /// <summary>Formats a shape the way error messages show it: <c>[-1,30]</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(',', parts) + "]";
    }

    /// <summary>True when a concrete shape fits a spec shape, where -1 in the spec matches any size.</summary>
    public static bool Matches(ReadOnlySpan<long> spec, ReadOnlySpan<long> actual)
    {
        if (spec.Length != actual.Length)
        {
            return false;
        }

        for (var i = 0; i < spec.Length; i++)
        {
            if (spec[i] >= 0 && spec[i] != actual[i])
            {
                return false;
            }
        }

        return true;
    }
}
