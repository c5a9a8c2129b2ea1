using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Writes a finite float as the shortest decimal that reads back to the same float, laid out as
/// .NET's own <c>float.ToString("R", CultureInfo.InvariantCulture)</c> lays it out (<c>0.0001</c>,
/// <c>1E-05</c>, <c>123456790</c>, <c>1E+10</c>, <c>-0</c>), at a fraction of its cost: a response of
/// 1,024 floats spent most of its encoding time in the runtime's general formatter.
/// </summary>
/// <remarks>
/// The digits come from Ryu (Ulf Adams, "Ryū: fast float-to-string conversion", PLDI 2018), the
/// 32-bit variant: the shortest digits in the interval of decimals that round to the float, the one
/// nearest the float where several are shortest, ties to an even last digit. Its tables of powers
/// of five are computed exactly at start (BigInteger), not transcribed.
/// </remarks>
internal static class ShortestSingle
{
    /// <summary>The longest text this writes: "-1.17549435E-38".</summary>
    public const int MaxLength = 15;

    /// <summary>
    /// The room that lets <see cref="Format"/> store 8 bytes at a time, past the end of its text; given
    /// less (but at least <see cref="MaxLength"/>) it writes the same text a byte at a time.
    /// </summary>
    public const int Room = 24;

    private const int MantissaBits = 23;
    private const int ExponentBias = 127;
    private const int Pow5InvBitCount = 59;
    private const int Pow5BitCount = 61;

    // floor(2^(pow5bits(q) - 1 + 59) / 5^q) + 1, for the float's e2 >= 0 half (q <= 30, and q - 1).
    private static readonly ulong[] Pow5InvSplit = Pow5Inverses(32);

    // 5^i as its 61 leading bits, for the e2 < 0 half (i <= 46, and i + 1).
    private static readonly ulong[] Pow5Split = Pow5Leading(48);

    private static readonly uint[] PowersOfTen = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

    private static ReadOnlySpan<byte> DigitPairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>
    /// Writes <paramref name="value"/> (finite) to the start of <paramref name="destination"/>, which
    /// has room for <see cref="MaxLength"/> bytes (faster with <see cref="Room"/>); returns the bytes
    /// written. Bytes of the destination past them may be overwritten.
    /// </summary>
    public static int Format(float value, Span<byte> destination)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        var position = 0;
        if ((int)bits < 0)
        {
            destination[position++] = (byte)'-';
        }

        var ieeeMantissa = bits & ((1u << MantissaBits) - 1);
        var ieeeExponent = (bits >> MantissaBits) & 0xFF;
        if (ieeeMantissa == 0 && ieeeExponent == 0)
        {
            destination[position++] = (byte)'0';
            return position;
        }

        var (digits, exponent) = ShortestDigits(ieeeMantissa, ieeeExponent);

        // The runtime writes no trailing zeros in the digits; neither do we.
        while (digits % 10 == 0)
        {
            digits /= 10;
            exponent++;
        }

        var length = DigitCount(digits);

        // value = 0.d1d2...dn x 10^scale; the runtime's "R" switches to an exponent outside -3..9
        // (9: a float's precision, or the digit count when longer, which it never is).
        var scale = length + exponent;
        if (destination.Length >= Room && scale <= 8 && scale > -4)
        {
            return position + WriteFixed(digits, length, scale, ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), position));
        }

        if (scale > 9 || scale < -3)
        {
            position += WriteScientific(digits, length, scale - 1, destination[position..]);
        }
        else if (scale >= length)
        {
            WriteDigits(digits, length, destination[position..]);
            position += length;
            for (var i = length; i < scale; i++)
            {
                destination[position++] = (byte)'0';
            }
        }
        else if (scale > 0)
        {
            var divisor = PowersOfTen[length - scale];
            WriteDigits(digits / divisor, scale, destination[position..]);
            position += scale;
            destination[position++] = (byte)'.';
            WriteDigits(digits % divisor, length - scale, destination[position..]);
            position += length - scale;
        }
        else
        {
            destination[position++] = (byte)'0';
            destination[position++] = (byte)'.';
            for (var i = scale; i < 0; i++)
            {
                destination[position++] = (byte)'0';
            }

            WriteDigits(digits, length, destination[position..]);
            position += length;
        }

        return position;
    }

    /// <summary>
    /// Writes digits × 10^(scale - length) without an exponent, for -3 &lt; scale &lt;= 8 (a model's outputs
    /// mostly), without a loop over the digits: eight of them at a time as one 8-byte store
    /// (<see cref="EightDigits"/>), the point put in by splitting that word. Stores reach up to 17 bytes
    /// past <paramref name="start"/>, beyond the text's end; the caller has <see cref="Room"/> bytes there.
    /// </summary>
    private static int WriteFixed(uint digits, int length, int scale, ref byte start)
    {
        // The first of nine digits on its own; the other eight as text in one word, first digit lowest.
        ulong high = digits / 100_000_000;
        var low = EightDigits(digits % 100_000_000);
        if (scale <= 0)
        {
            // "0.", -scale zeros, the digits.
            Unsafe.WriteUnaligned(ref start, 0x3030_3030_3030_2E30UL);
            ref var at = ref Unsafe.Add(ref start, 2 - scale);
            if (length == 9)
            {
                at = (byte)('0' + high);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref at, 1), low);
            }
            else
            {
                Unsafe.WriteUnaligned(ref at, low >> ((8 - length) * 8));
            }

            return 2 - scale + length;
        }

        // The digits as text: the first eight in one word, a ninth (carried) beyond it.
        var text = length == 9 ? (low << 8) | (high + '0') : low >> ((8 - length) * 8);
        var carried = length == 9 ? (byte)(low >> 56) : (byte)0;
        if (scale >= length)
        {
            // An integer (scale <= 8 and length <= scale): its digits, then zeros up to the point.
            Unsafe.WriteUnaligned(ref start, length == 8 ? text : text | (0x3030_3030_3030_3030UL << (length * 8)));
            return scale;
        }

        // 1 <= scale <= 8: the shifts stay below 64 (a shift by 64 would be a shift by 0).
        var whole = text & (ulong.MaxValue >> ((8 - scale) * 8));
        var fraction = ((text >> ((scale - 1) * 8)) >> 8) | ((ulong)carried << ((8 - scale) * 8));
        Unsafe.WriteUnaligned(ref start, whole);
        Unsafe.Add(ref start, scale) = (byte)'.';
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref start, scale + 1), fraction);
        return length + 1;
    }

    /// <summary>
    /// The eight decimal digits of <paramref name="value"/> (below 10^8, with leading zeros) as ASCII, the
    /// first digit in the lowest byte: halves, quarters and single digits split in parallel lanes by
    /// multiplying with reciprocals exact for those ranges (x / 100 = x × 10486 >> 20 below 10^4, x / 10 =
    /// x × 103 >> 10 below 100).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(uint value)
    {
        ulong halves = (value / 10_000) | ((ulong)(value % 10_000) << 32);
        var hundreds = ((halves * 10486) >> 20) & 0x0000_007F_0000_007F;
        var quarters = hundreds | ((halves - (hundreds * 100)) << 16);
        var tens = ((quarters * 103) >> 10) & 0x000F_000F_000F_000F;
        return (tens | ((quarters - (tens * 10)) << 8)) + 0x3030_3030_3030_3030;
    }

    private static int WriteScientific(uint digits, int length, int exponent, Span<byte> destination)
    {
        var position = 0;
        var divisor = PowersOfTen[length - 1];
        destination[position++] = (byte)('0' + (digits / divisor));
        if (length > 1)
        {
            destination[position++] = (byte)'.';
            WriteDigits(digits % divisor, length - 1, destination[position..]);
            position += length - 1;
        }

        destination[position++] = (byte)'E';
        destination[position++] = exponent < 0 ? (byte)'-' : (byte)'+';

        // A float's decimal exponent lies within -45..38: always two digits.
        WriteDigits((uint)Math.Abs(exponent), 2, destination[position..]);
        return position + 2;
    }

    /// <summary>Writes the <paramref name="count"/> low decimal digits of <paramref name="value"/>, leading zeros included.</summary>
    private static void WriteDigits(uint value, int count, Span<byte> destination)
    {
        var position = count;
        while (position >= 2)
        {
            var pair = (int)(value % 100) * 2;
            value /= 100;
            destination[--position] = DigitPairs[pair + 1];
            destination[--position] = DigitPairs[pair];
        }

        if (position == 1)
        {
            destination[0] = (byte)('0' + (value % 10));
        }
    }

    private static int DigitCount(uint value)
    {
        // floor(log10(2^bits)) is the count or one less; the next power of ten tells which.
        var guess = ((32 - BitOperations.LeadingZeroCount(value)) * 1233) >> 12;
        return guess + (value >= PowersOfTen[guess] ? 1 : 0);
    }

    /// <summary>Ryu's f2d: the shortest decimal digits (as an integer) and their power of ten.</summary>
    private static (uint Digits, int Exponent) ShortestDigits(uint ieeeMantissa, uint ieeeExponent)
    {
        int e2;
        uint m2;
        if (ieeeExponent == 0)
        {
            e2 = 1 - ExponentBias - MantissaBits - 2;
            m2 = ieeeMantissa;
        }
        else
        {
            e2 = (int)ieeeExponent - ExponentBias - MantissaBits - 2;
            m2 = (1u << MantissaBits) | ieeeMantissa;
        }

        var acceptBounds = (m2 & 1) == 0;

        // The interval of decimals that read back to this float, as 4x the mantissa and its halfway points.
        var mv = 4 * m2;
        var mp = (4 * m2) + 2;
        var mmShift = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1u : 0u;
        var mm = (4 * m2) - 1 - mmShift;

        uint vr, vp, vm;
        int e10;
        var vmIsTrailingZeros = false;
        var vrIsTrailingZeros = false;
        uint lastRemovedDigit = 0;
        if (e2 >= 0)
        {
            var q = Log10Pow2(e2);
            e10 = q;
            var k = Pow5InvBitCount + Pow5Bits(q) - 1;
            var i = -e2 + q + k;
            vr = MulShift32(mv, Pow5InvSplit[q], i);
            vp = MulShift32(mp, Pow5InvSplit[q], i);
            vm = MulShift32(mm, Pow5InvSplit[q], i);
            if (q != 0 && (vp - 1) / 10 <= vm / 10)
            {
                // One removed digit is needed even when the loop below removes none.
                var l = Pow5InvBitCount + Pow5Bits(q - 1) - 1;
                lastRemovedDigit = MulShift32(mv, Pow5InvSplit[q - 1], -e2 + q - 1 + l) % 10;
            }

            if (q <= 9)
            {
                // Only one of mp, mv and mm can be a multiple of 5, if any.
                if (mv % 5 == 0)
                {
                    vrIsTrailingZeros = IsMultipleOfPowerOf5(mv, q);
                }
                else if (acceptBounds)
                {
                    vmIsTrailingZeros = IsMultipleOfPowerOf5(mm, q);
                }
                else if (IsMultipleOfPowerOf5(mp, q))
                {
                    vp--;
                }
            }
        }
        else
        {
            var q = Log10Pow5(-e2);
            e10 = q + e2;
            var i = -e2 - q;
            var k = Pow5Bits(i) - Pow5BitCount;
            var j = q - k;
            vr = MulShift32(mv, Pow5Split[i], j);
            vp = MulShift32(mp, Pow5Split[i], j);
            vm = MulShift32(mm, Pow5Split[i], j);
            if (q != 0 && (vp - 1) / 10 <= vm / 10)
            {
                j = q - 1 - (Pow5Bits(i + 1) - Pow5BitCount);
                lastRemovedDigit = MulShift32(mv, Pow5Split[i + 1], j) % 10;
            }

            if (q <= 1)
            {
                // mv = 4 * m2 has at least two trailing zero bits; mm = mv - 1 - mmShift has one when mmShift is 1.
                vrIsTrailingZeros = true;
                if (acceptBounds)
                {
                    vmIsTrailingZeros = mmShift == 1;
                }
                else
                {
                    vp--;
                }
            }
            else if (q < 31)
            {
                vrIsTrailingZeros = (mv & ((1u << (q - 1)) - 1)) == 0;
            }
        }

        var removed = 0;
        uint output;
        if (vmIsTrailingZeros || vrIsTrailingZeros)
        {
            // The rare general case.
            while (vp / 10 > vm / 10)
            {
                vmIsTrailingZeros &= vm % 10 == 0;
                vrIsTrailingZeros &= lastRemovedDigit == 0;
                RemoveDigit(ref vr, ref vp, ref vm, ref lastRemovedDigit, ref removed);
            }

            if (vmIsTrailingZeros)
            {
                while (vm % 10 == 0)
                {
                    vrIsTrailingZeros &= lastRemovedDigit == 0;
                    RemoveDigit(ref vr, ref vp, ref vm, ref lastRemovedDigit, ref removed);
                }
            }

            if (vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0)
            {
                // Exactly halfway: round to even.
                lastRemovedDigit = 4;
            }

            output = vr + ((vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1u : 0u);
        }
        else
        {
            while (vp / 10 > vm / 10)
            {
                RemoveDigit(ref vr, ref vp, ref vm, ref lastRemovedDigit, ref removed);
            }

            output = vr + (vr == vm || lastRemovedDigit >= 5 ? 1u : 0u);
        }

        return (output, e10 + removed);
    }

    /// <summary>Drops the last digit of the value and of the interval's bounds, keeping the value's dropped digit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RemoveDigit(ref uint vr, ref uint vp, ref uint vm, ref uint lastRemovedDigit, ref int removed)
    {
        lastRemovedDigit = vr % 10;
        vr /= 10;
        vp /= 10;
        vm /= 10;
        removed++;
    }

    private static uint MulShift32(uint m, ulong factor, int shift)
    {
        var low = (ulong)m * (uint)factor;
        var high = (ulong)m * (factor >> 32);
        var sum = (low >> 32) + high;
        return (uint)(sum >> (shift - 32));
    }

    private static bool IsMultipleOfPowerOf5(uint value, int power)
    {
        var count = 0;
        while (value % 5 == 0)
        {
            value /= 5;
            count++;
        }

        return count >= power;
    }

    // ceil(log2(5^e)) for e >= 1 (1 for e = 0), floor(log10(2^e)) and floor(log10(5^e)), exact over the float's range.
    private static int Pow5Bits(int e) => (int)(((uint)e * 1217359) >> 19) + 1;

    private static int Log10Pow2(int e) => (int)(((uint)e * 78913) >> 18);

    private static int Log10Pow5(int e) => (int)(((uint)e * 732923) >> 20);

    private static ulong[] Pow5Inverses(int count)
    {
        var table = new ulong[count];
        for (var q = 0; q < count; q++)
        {
            table[q] = (ulong)((BigInteger.One << (Pow5Bits(q) - 1 + Pow5InvBitCount)) / BigInteger.Pow(5, q)) + 1;
        }

        return table;
    }

    private static ulong[] Pow5Leading(int count)
    {
        var table = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            var shift = Pow5Bits(i) - Pow5BitCount;
            var power = BigInteger.Pow(5, i);
            table[i] = (ulong)(shift >= 0 ? power >> shift : power << -shift);
        }

        return table;
    }
}
