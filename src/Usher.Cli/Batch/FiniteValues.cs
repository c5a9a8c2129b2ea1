using System.Numerics;

namespace Usher.Cli.Batch;

/// <summary>
/// Finds a NaN or an infinity among FP32 or FP64 values a vector at a time, in their own type (no
/// conversion to double): x - x is 0 for every finite x and NaN for NaN and both infinities.
/// </summary>
internal static class FiniteValues
{
    /// <summary>The index of the first value of <paramref name="values"/> that is not finite, or -1.</summary>
    public static int FirstNonFinite<T>(ReadOnlySpan<T> values)
        where T : struct, INumberBase<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && values.Length >= Vector<T>.Count)
        {
            // Accumulate x - x over the span: any NaN or infinity leaves a NaN in the sum, and only
            // then is the span searched value by value for the first one.
            var sum = Vector<T>.Zero;
            for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(values[i..]);
                sum += v - v;
            }

            var finite = Vector.EqualsAll(sum, Vector<T>.Zero);
            for (; finite && i < values.Length; i++)
            {
                finite = T.IsFinite(values[i]);
            }

            if (finite)
            {
                return -1;
            }

            i = 0;
        }

        for (; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
