using System.Globalization;
using System.Numerics;
using System.Text;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class JsonFloatTextTests
{
    private static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);

    /// <summary>float.Parse rounds a decimal to the nearest float (ties to even): the independent answer.</summary>
    private static void AssertReadsAsFloatParse(string text)
    {
        var read = JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out var value);
        var expected = float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (!float.IsFinite(expected))
        {
            Assert.False(read, $"'{text}' is too large for a float, yet was read as {value:R}");
            return;
        }

        Assert.True(read, $"'{text}' was refused");
        Assert.True(Bits(expected) == Bits(value), $"'{text}': read {value:R} ({Bits(value):X8}), float.Parse {expected:R} ({Bits(expected):X8})");
    }

    [Theory]
    [InlineData("0", 0f)]
    [InlineData("1", 1f)]
    [InlineData("0.8415", 0.8415f)]
    [InlineData("-12.5", -12.5f)]
    [InlineData("0.1", 0.1f)]
    [InlineData("3.4028234", 3.4028234f)]
    [InlineData("1e5", 1e5f)]
    [InlineData("1.5E-3", 1.5e-3f)]
    [InlineData("-2.5e+2", -250f)]
    [InlineData("0e999999", 0f)]
    public void Numbers_AreReadAsTheNearestFloat(string text, float expected)
    {
        Assert.True(JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(Bits(expected), Bits(value));
    }

    [Theory]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("-0e5")]
    public void MinusZero_KeepsItsSign(string text)
    {
        Assert.True(JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(Bits(-0f), Bits(value));
    }

    /// <summary>Forms outside the fast path, read by the runtime's parser from the same text.</summary>
    [Theory]
    [InlineData("12345678901234567890")] // more digits than a double holds exactly
    [InlineData("0.10000000149011612")] // NumPy's float32 0.1 as a Python float: 17 digits
    [InlineData("0.00000000000000000000001")] // 10^-23: beyond the exact powers
    [InlineData("16777217")] // exactly halfway between two floats: rounds to even
    [InlineData("16777219")]
    [InlineData("1.401298464324817e-45")] // the smallest denormal
    [InlineData("7.006492321624085e-46")] // half of it: ties to even, to 0
    [InlineData("7.006492321624086e-46")] // just above half: the smallest denormal
    [InlineData("1.1754942e-38")] // the largest denormal
    [InlineData("1.17549435e-38")] // the smallest normal
    [InlineData("3.4028235e38")] // the largest float
    [InlineData("3.40282356779733661637539395458142568447e38")] // just below the overflow threshold
    [InlineData("1e-50")] // underflows to 0
    [InlineData("-1e-50")] // to -0
    [InlineData("1.00000000000000000000000000000000000000000001")] // long, truncated digits
    [InlineData("0.000000000000000000000000000000000000000000001")]
    public void HardCases_AgreeWithFloatParse(string text) => AssertReadsAsFloatParse(text);

    [Theory]
    [InlineData("1e39")]
    [InlineData("-1e39")]
    [InlineData("3.4028236e38")] // rounds to infinity
    [InlineData("1e100000000")]
    public void TooLargeForAFloat_IsRefused(string text)
        => Assert.False(JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out _));

    /// <summary>Text the JSON grammar does not allow: the token reader refuses it, so must this.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("+1")]
    [InlineData("01")]
    [InlineData("-01")]
    [InlineData(".5")]
    [InlineData("1.")]
    [InlineData("1.e5")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("0x10")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    public void NotAJsonNumber_IsRefused(string text)
        => Assert.False(JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void TryReadSingle_StopsAfterTheNumber()
    {
        var position = 1;
        Assert.True(JsonFloatText.TryReadSingle("[-1.25e1,2]"u8, ref position, out var value));
        Assert.Equal(-12.5f, value);
        Assert.Equal(8, position);
    }

    [Fact]
    public void RandomDecimals_AgreeWithFloatParse()
    {
        var random = new Random(12);
        for (var i = 0; i < 200_000; i++)
        {
            var text = (i % 8) switch
            {
                // Shortest round-trip doubles, as Python and NumPy write them.
                0 => ((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9))).ToString("R", CultureInfo.InvariantCulture),
                // Fixed decimals of a few places, as most clients format features.
                1 => ((random.NextDouble() - 0.5) * 2000).ToString("F" + random.Next(0, 8), CultureInfo.InvariantCulture),
                // Shortest floats (with E-05 and the like for small ones).
                2 => ((float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-12, 12)))).ToString("R", CultureInfo.InvariantCulture),
                // Integers around 2^24 and above, where floats are 2, 4, 8 apart and ties are common.
                3 => (16_777_216L + random.Next(0, 1 << 22)).ToString(CultureInfo.InvariantCulture),
                // Floats as doubles (NumPy float32 to Python float): 16-17 digits, often beyond 2^53.
                4 => ((double)(float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-10, 10)))).ToString("R", CultureInfo.InvariantCulture),
                // Exact float midpoints written out, at every scale: the double-rounding trap.
                5 => Midpoint(random),
                // Denormals and the edges of the range.
                6 => ((double)BitConverter.UInt32BitsToSingle((uint)random.Next(1, 0x0080_0000)) * (1 + ((random.NextDouble() - 0.5) * 1e-7))).ToString("E" + random.Next(3, 18), CultureInfo.InvariantCulture),
                // Random digits with random exponents.
                _ => RandomDigits(random),
            };

            AssertReadsAsFloatParse(text);
        }
    }

    [Fact]
    public void RandomDecimals_AsDoubles_AgreeWithDoubleParse()
    {
        var random = new Random(13);
        for (var i = 0; i < 100_000; i++)
        {
            var text = (i % 3) switch
            {
                0 => ((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30))).ToString("R", CultureInfo.InvariantCulture),
                1 => ((random.NextDouble() - 0.5) * 2000).ToString("F" + random.Next(0, 8), CultureInfo.InvariantCulture),
                _ => RandomDigits(random),
            };

            var position = 0;
            var bytes = Encoding.ASCII.GetBytes(text);
            var expected = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.Equal(double.IsFinite(expected), JsonFloatText.TryReadDouble(bytes, ref position, out var value));
            if (double.IsFinite(expected))
            {
                Assert.True(BitConverter.DoubleToUInt64Bits(expected) == BitConverter.DoubleToUInt64Bits(value), $"'{text}': read {value:R}, double.Parse {expected:R}");
                Assert.Equal(bytes.Length, position);
            }
        }
    }

    /// <summary>The exact decimal halfway between a random float and the next one up (a float midpoint is exactly a double).</summary>
    private static string Midpoint(Random random)
    {
        var bits = (uint)random.Next(0x0080_0000, 0x7F00_0000);
        var middle = ((double)BitConverter.UInt32BitsToSingle(bits) + BitConverter.UInt32BitsToSingle(bits + 1)) / 2;
        return (random.Next(2) == 0 ? "-" : "") + ExactDecimal(middle);
    }

    /// <summary>Every digit of a positive double: mantissa x 2^e = mantissa x 5^-e / 10^-e.</summary>
    private static string ExactDecimal(double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1075;
        var mantissa = new BigInteger((bits & 0xF_FFFF_FFFF_FFFF) | (1L << 52));
        if (exponent >= 0)
        {
            return (mantissa << exponent).ToString(CultureInfo.InvariantCulture);
        }

        var places = -exponent;
        var digits = (mantissa * BigInteger.Pow(5, places)).ToString(CultureInfo.InvariantCulture).PadLeft(places + 1, '0');
        return $"{digits[..^places]}.{digits[^places..]}";
    }

    private static string RandomDigits(Random random)
    {
        var text = new StringBuilder();
        if (random.Next(2) == 0)
        {
            text.Append('-');
        }

        var integerDigits = random.Next(1, 25);
        text.Append((char)('1' + random.Next(9)));
        for (var d = 1; d < integerDigits; d++)
        {
            text.Append((char)('0' + random.Next(10)));
        }

        if (random.Next(2) == 0)
        {
            text.Append('.');
            var fractionDigits = random.Next(1, 25);
            for (var d = 0; d < fractionDigits; d++)
            {
                text.Append((char)('0' + random.Next(10)));
            }
        }

        if (random.Next(2) == 0)
        {
            text.Append(random.Next(2) == 0 ? 'e' : 'E').Append(random.Next(3) switch { 0 => "-", 1 => "+", _ => "" }).Append(random.Next(0, 60));
        }

        return text.ToString();
    }
}
