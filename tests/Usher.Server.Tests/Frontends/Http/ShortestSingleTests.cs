using System.Globalization;
using System.Text;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class ShortestSingleTests
{
    /// <summary>
    /// The text in both of Format's ways, which must agree: byte by byte (a destination of
    /// <see cref="ShortestSingle.MaxLength"/>) and 8 bytes at a time (<see cref="ShortestSingle.Room"/>),
    /// the latter storing nothing past its destination (the guard bytes after it stay as they were).
    /// </summary>
    private static string Format(float value)
    {
        var exact = new byte[ShortestSingle.MaxLength];
        var text = Encoding.ASCII.GetString(exact, 0, ShortestSingle.Format(value, exact));

        var roomy = new byte[ShortestSingle.Room + 8];
        roomy.AsSpan().Fill(0xEE);
        var written = ShortestSingle.Format(value, roomy.AsSpan(0, ShortestSingle.Room));
        Assert.True(roomy.AsSpan(ShortestSingle.Room).IndexOfAnyExcept((byte)0xEE) < 0, $"0x{Bits(value):X8}: stored past the destination");
        Assert.True(text == Encoding.ASCII.GetString(roomy, 0, written), $"0x{Bits(value):X8}: wrote {text} byte by byte, {Encoding.ASCII.GetString(roomy, 0, written)} with room");
        return text;
    }

    private static string Runtime(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);

    [Theory]
    [InlineData(0f, "0")]
    [InlineData(-0f, "-0")]
    [InlineData(1f, "1")]
    [InlineData(-12.5f, "-12.5")]
    [InlineData(0.1f, "0.1")]
    [InlineData(0.0001f, "0.0001")] // the last plain form below one
    [InlineData(0.00001f, "1E-05")] // the first with an exponent
    [InlineData(123456789f, "123456790")] // nine figures, the last zero only a place-holder
    [InlineData(1e9f, "1E+09")]
    [InlineData(16777216f, "16777216")]
    [InlineData(float.MaxValue, "3.4028235E+38")]
    [InlineData(-float.MaxValue, "-3.4028235E+38")]
    [InlineData(float.Epsilon, "1E-45")] // the smallest subnormal
    [InlineData(1.17549435E-38f, "1.1754944E-38")] // the smallest normal
    [InlineData(-1.1754942E-38f, "-1.1754942E-38")] // the largest subnormal
    [InlineData(0.3f, "0.3")]
    [InlineData(2.5f, "2.5")]
    [InlineData(100f, "100")]
    [InlineData(0.042914763f, "0.042914763")] // nine digits after "0.0"
    [InlineData(-0.0012345678f, "-0.0012345678")] // the most zeros after the point before an exponent
    [InlineData(0.123456784f, "0.12345678")]
    [InlineData(1.23456788f, "1.2345679")]
    [InlineData(12345.678f, "12345.678")]
    [InlineData(12345679f, "12345679")] // eight figures, no point
    [InlineData(1234567.9f, "1234567.9")]
    [InlineData(12300000f, "12300000")] // zeros up to the point
    [InlineData(0.5f, "0.5")]
    public void KnownValues_AreWrittenInTheirShortestForm(float value, string expected)
        => Assert.Equal(expected, Format(value));

    [Fact]
    public void RandomBitPatterns_ReadBack_AndMatchTheRuntimesRoundTripText()
    {
        // Every finite float is equally likely: all exponents, subnormals included.
        var random = new Random(20261204);
        for (var i = 0; i < 300_000; i++)
        {
            var value = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (!float.IsFinite(value))
            {
                continue;
            }

            AssertShortestAndExact(value);
        }
    }

    [Fact]
    public void RandomValuesAsModelsOutputThem_ReadBack_AndMatchTheRuntimesRoundTripText()
    {
        // Magnitudes from 1e-8 to 1e8, where a model's outputs lie.
        var random = new Random(12);
        for (var i = 0; i < 300_000; i++)
        {
            AssertShortestAndExact((float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9))));
        }
    }

    [Fact]
    public void EdgeValues_ReadBack_AndMatchTheRuntimesRoundTripText()
    {
        // Powers of two and their neighbours (where the interval of a float is lopsided), the subnormal
        // boundary, and powers of ten with their neighbours (where the shortest form is one digit).
        for (var exponent = 0u; exponent < 255; exponent++)
        {
            var power = exponent << 23;
            foreach (var bits in new[] { power, power + 1, power + 2, power - 1, power | 0x7FFFFF, power | 0x400000 })
            {
                // Below the smallest exponent, power - 1 wraps round to a NaN, which is not this writer's to write.
                if (!float.IsFinite(BitConverter.UInt32BitsToSingle(bits)))
                {
                    continue;
                }

                AssertShortestAndExact(BitConverter.UInt32BitsToSingle(bits));
                AssertShortestAndExact(-BitConverter.UInt32BitsToSingle(bits));
            }
        }

        for (var exponent = -45; exponent <= 38; exponent++)
        {
            var power = float.Parse("1E" + exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            AssertShortestAndExact(power);
            AssertShortestAndExact(BitConverter.UInt32BitsToSingle(Bits(power) + 1));
            if (Bits(power) > 0)
            {
                AssertShortestAndExact(BitConverter.UInt32BitsToSingle(Bits(power) - 1));
            }
        }

        for (var small = 1u; small < 4096; small++)
        {
            AssertShortestAndExact(BitConverter.UInt32BitsToSingle(small));
        }

        // Integers up to 2^24 are exact; above, floats step by 2, 4, 8 ...
        for (var integer = 16_777_000; integer < 16_777_300; integer++)
        {
            AssertShortestAndExact(integer);
        }
    }

    private static void AssertShortestAndExact(float value)
    {
        var text = Format(value);
        Assert.InRange(text.Length, 1, ShortestSingle.MaxLength);

        // Independent of the runtime's formatter: the runtime's correctly rounded parser reads it back to the same bits.
        var back = float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        Assert.True(Bits(back) == Bits(value), $"{text} reads back as {Runtime(back)}, not {Runtime(value)} (0x{Bits(value):X8})");

        // And the same text as "R", which writes the shortest digits too, so no shorter text reads back.
        Assert.True(text == Runtime(value), $"0x{Bits(value):X8}: wrote {text}, the runtime writes {Runtime(value)}");
    }
}
