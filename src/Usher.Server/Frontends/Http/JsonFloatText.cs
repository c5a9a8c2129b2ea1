namespace Usher.Server.Frontends.Http;

/// <summary>
/// The common case of an FP32 element's JSON text, read without the general decimal parser: a plain
/// decimal (no exponent) of at most 2^53 as digits and at most 22 digits after the point, the form
/// clients write most (<c>0.8415</c>, <c>-12.5</c>, NumPy's and Python's shortest doubles up to
/// 15-16 digits). Anything else is left to <c>Utf8JsonReader.TryGetSingle</c>.
/// </summary>
/// <remarks>
/// Exact: the digits and the power of ten are both exact doubles, so their quotient is the double
/// nearest the decimal. Rounding that double to float gives the float nearest the decimal unless the
/// double is exactly halfway between two floats (the decimal may lie on either side of that point),
/// and that case is refused, leaving it to the general parser. A float midpoint is a double, so a
/// decimal and its nearest double never lie on opposite sides of one.
/// </remarks>
internal static class JsonFloatText
{
    private const ulong MaxExactMantissa = 1UL << 53;

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Reads <paramref name="number"/> (the text of a JSON number token, already valid JSON) as the
    /// nearest float; false when it is not a case this reads exactly, and the caller falls back.
    /// </summary>
    public static bool TryParseSingle(ReadOnlySpan<byte> number, out float value)
    {
        value = 0;
        var i = 0;
        var negative = number.Length > 0 && number[0] == (byte)'-';
        if (negative)
        {
            i = 1;
        }

        ulong mantissa = 0;
        var fractionDigits = 0;
        var inFraction = false;
        for (; i < number.Length; i++)
        {
            var c = number[i];
            var digit = (uint)(c - '0');
            if (digit <= 9)
            {
                mantissa = (mantissa * 10) + digit;
                if (mantissa > MaxExactMantissa)
                {
                    return false;
                }

                if (inFraction)
                {
                    fractionDigits++;
                }
            }
            else if (c == (byte)'.' && !inFraction)
            {
                inFraction = true;
            }
            else
            {
                // An exponent (or anything unexpected): the general parser's case.
                return false;
            }
        }

        if (fractionDigits >= PowersOfTen.Length)
        {
            return false;
        }

        var exact = mantissa / PowersOfTen[fractionDigits];

        // Exactly halfway between two floats: the decimal may be on either side, so it is not ours to round.
        if ((BitConverter.DoubleToUInt64Bits(exact) & 0x1FFF_FFFF) == 0x1000_0000)
        {
            return false;
        }

        var single = (float)exact;
        value = negative ? -single : single;
        return true;
    }
}
