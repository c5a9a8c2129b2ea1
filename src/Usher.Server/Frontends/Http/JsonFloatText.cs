using System.Globalization;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads a JSON number straight from the request's UTF-8 text as the nearest float or double, checking
/// its syntax as it goes (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>), so that a tensor's
/// <c>data</c> is scanned once instead of once by the JSON reader and again by a number parser.
/// </summary>
/// <remarks>
/// One pass gathers the sign, up to 19 significant digits and the power of ten. When the digits are at
/// most 2^53 and the power at most 22 either way (Clinger's fast path: the forms clients write, from
/// <c>0.8415</c> and <c>-12.5</c> to <c>1.2345678E-05</c>), both are exact doubles and their product or
/// quotient is the double nearest the decimal. For a double that is the answer. Rounding it to float
/// gives the float nearest the decimal unless the double is exactly halfway between two floats (the
/// decimal may lie on either side of that point), a case left to the runtime: a float midpoint is a
/// double, so a decimal and its nearest double never lie on opposite sides of one. Anything else (more
/// digits, larger powers) is read by the runtime's correctly rounded parser, from the same text.
/// </remarks>
internal static class JsonFloatText
{
    private const ulong MaxExactMantissa = 1UL << 53;

    /// <summary>Significant digits gathered; more only mark the number as needing the runtime's parser.</summary>
    private const int MaxDigits = 19;

    /// <summary>An exponent's digits read beyond this only keep it there: the value is 0 or out of range anyway.</summary>
    private const int MaxExponent = 100_000;

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Reads the JSON number at <paramref name="position"/> in <paramref name="json"/> as the nearest
    /// float (ties to even, as <c>float.Parse</c>) and moves <paramref name="position"/> past it; false
    /// when no JSON number starts there or its value is too large for a float.
    /// </summary>
    public static bool TryReadSingle(ReadOnlySpan<byte> json, ref int position, out float value)
    {
        var start = position;
        if (!TryScan(json, ref position, out var negative, out var digits, out var exponent, out var truncated))
        {
            value = 0;
            return false;
        }

        if (!truncated && TryExact(digits, exponent, out var exact)
            && (BitConverter.DoubleToUInt64Bits(exact) & 0x1FFF_FFFF) != 0x1000_0000)
        {
            // Within the fast path's range a nonzero value is a normal float, whose midpoints have
            // the low 29 bits of the double's mantissa 1 followed by zeros.
            var single = (float)exact;
            value = negative ? -single : single;
            return true;
        }

        return float.TryParse(json[start..position], NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && float.IsFinite(value);
    }

    /// <summary>As <see cref="TryReadSingle"/>, for the nearest double.</summary>
    public static bool TryReadDouble(ReadOnlySpan<byte> json, ref int position, out double value)
    {
        var start = position;
        if (!TryScan(json, ref position, out var negative, out var digits, out var exponent, out var truncated))
        {
            value = 0;
            return false;
        }

        if (!truncated && TryExact(digits, exponent, out var exact))
        {
            value = negative ? -exact : exact;
            return true;
        }

        return double.TryParse(json[start..position], NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    /// <summary>Reads <paramref name="number"/>, the whole text of one JSON number, as the nearest float.</summary>
    public static bool TryParseSingle(ReadOnlySpan<byte> number, out float value)
    {
        var position = 0;
        return TryReadSingle(number, ref position, out value) && position == number.Length;
    }

    /// <summary>
    /// Scans one JSON number: value = ±<paramref name="digits"/> × 10^<paramref name="exponent"/>,
    /// exactly unless <paramref name="truncated"/> (nonzero digits beyond the first 19 were dropped).
    /// </summary>
    private static bool TryScan(ReadOnlySpan<byte> json, ref int position, out bool negative, out ulong digits, out int exponent, out bool truncated)
    {
        var i = position;
        negative = false;
        digits = 0;
        exponent = 0;
        truncated = false;
        if ((uint)i < (uint)json.Length && json[i] == (byte)'-')
        {
            negative = true;
            i++;
        }

        if ((uint)i >= (uint)json.Length)
        {
            return false;
        }

        var count = 0;
        var digit = (uint)(json[i] - '0');
        if (digit == 0)
        {
            // JSON has no leading zeros: "0" stands alone before the point.
            i++;
            if ((uint)i < (uint)json.Length && (uint)(json[i] - '0') <= 9)
            {
                return false;
            }
        }
        else if (digit <= 9)
        {
            do
            {
                if (count < MaxDigits)
                {
                    digits = (digits * 10) + digit;
                    count++;
                }
                else
                {
                    exponent++;
                    truncated |= digit != 0;
                }

                i++;
            }
            while ((uint)i < (uint)json.Length && (digit = (uint)(json[i] - '0')) <= 9);
        }
        else
        {
            return false;
        }

        if ((uint)i < (uint)json.Length && json[i] == (byte)'.')
        {
            var first = ++i;
            while ((uint)i < (uint)json.Length && (digit = (uint)(json[i] - '0')) <= 9)
            {
                if (count < MaxDigits)
                {
                    // Zeros before the first significant digit only move the point.
                    if (digits != 0 || digit != 0)
                    {
                        digits = (digits * 10) + digit;
                        count++;
                    }

                    exponent--;
                }
                else
                {
                    truncated |= digit != 0;
                }

                i++;
            }

            if (i == first)
            {
                return false;
            }
        }

        if ((uint)i < (uint)json.Length && (json[i] | 0x20) == (byte)'e')
        {
            i++;
            var negativeExponent = false;
            if ((uint)i < (uint)json.Length && json[i] is (byte)'-' or (byte)'+')
            {
                negativeExponent = json[i] == (byte)'-';
                i++;
            }

            var first = i;
            var power = 0;
            while ((uint)i < (uint)json.Length && (digit = (uint)(json[i] - '0')) <= 9)
            {
                if (power < MaxExponent)
                {
                    power = (power * 10) + (int)digit;
                }

                i++;
            }

            if (i == first)
            {
                return false;
            }

            exponent += negativeExponent ? -power : power;
        }

        position = i;
        return true;
    }

    /// <summary>The double nearest digits × 10^exponent, when both are exact doubles (Clinger's fast path).</summary>
    private static bool TryExact(ulong digits, int exponent, out double value)
    {
        if (digits == 0)
        {
            value = 0;
            return true;
        }

        if (digits > MaxExactMantissa || exponent < -22 || exponent > 22)
        {
            value = 0;
            return false;
        }

        value = exponent >= 0 ? digits * PowersOfTen[exponent] : digits / PowersOfTen[-exponent];
        return true;
    }
}
