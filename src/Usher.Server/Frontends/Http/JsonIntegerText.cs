using System.Numerics;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads a JSON integer (<c>-?(0|[1-9][0-9]*)</c>) straight from the request's UTF-8 text as an
/// integer type, never through a double: 2^64-1 and -2^63 arrive exact. A number with a fraction or an
/// exponent (1.5, 1e3), or one outside the type's range, is refused.
/// </summary>
internal static class JsonIntegerText
{
    /// <summary>
    /// Reads the integer at <paramref name="position"/> in <paramref name="json"/> as a
    /// <typeparamref name="T"/> and moves <paramref name="position"/> past it; false when no JSON integer
    /// starts there or it does not fit.
    /// </summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> json, ref int position, out T value)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        value = default;
        if (!TryScan(json, ref position, out var negative, out var magnitude))
        {
            return false;
        }

        if (!negative)
        {
            if (magnitude > ulong.CreateTruncating(T.MaxValue))
            {
                return false;
            }

            value = T.CreateTruncating(magnitude);
            return true;
        }

        // Negatives only for signed types, down to MinValue; the token reader refuses even -0 for
        // an unsigned one, and so does this.
        if (T.IsZero(T.MinValue) || magnitude > (ulong)long.CreateTruncating(T.MaxValue) + 1)
        {
            return false;
        }

        value = T.CreateTruncating(unchecked((long)(0UL - magnitude)));
        return true;
    }

    private static bool TryScan(ReadOnlySpan<byte> json, ref int position, out bool negative, out ulong magnitude)
    {
        var i = position;
        negative = false;
        magnitude = 0;
        if ((uint)i < (uint)json.Length && json[i] == (byte)'-')
        {
            negative = true;
            i++;
        }

        if ((uint)i >= (uint)json.Length)
        {
            return false;
        }

        var digit = (uint)(json[i] - '0');
        if (digit == 0)
        {
            i++;
        }
        else if (digit <= 9)
        {
            do
            {
                // Above (2^64 - 1) / 10 another digit overflows; at it, only up to 5 fits.
                if (magnitude >= 1_844_674_407_370_955_161UL && (magnitude > 1_844_674_407_370_955_161UL || digit > 5))
                {
                    return false;
                }

                magnitude = (magnitude * 10) + digit;
                i++;
            }
            while ((uint)i < (uint)json.Length && (digit = (uint)(json[i] - '0')) <= 9);
        }
        else
        {
            return false;
        }

        // A fraction, an exponent or a leading zero's next digit: not an integer this reads.
        if ((uint)i < (uint)json.Length && (json[i] is (byte)'.' or (byte)'e' or (byte)'E' || (uint)(json[i] - '0') <= 9))
        {
            return false;
        }

        position = i;
        return true;
    }
}
