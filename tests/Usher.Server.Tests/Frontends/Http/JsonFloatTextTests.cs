using System.Globalization;
using System.Text;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class JsonFloatTextTests
{
    [Theory]
    [InlineData("0", 0f)]
    [InlineData("1", 1f)]
    [InlineData("0.8415", 0.8415f)]
    [InlineData("-12.5", -12.5f)]
    [InlineData("0.1", 0.1f)]
    [InlineData("3.4028234", 3.4028234f)]
    public void PlainDecimals_AreReadAsTheNearestFloat(string text, float expected)
    {
        Assert.True(JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out var value));
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(value));
    }

    [Fact]
    public void MinusZero_KeepsItsSign()
    {
        Assert.True(JsonFloatText.TryParseSingle("-0"u8, out var value));
        Assert.Equal(BitConverter.SingleToUInt32Bits(-0f), BitConverter.SingleToUInt32Bits(value));
    }

    [Theory]
    [InlineData("1e5")] // an exponent
    [InlineData("1.5E-3")]
    [InlineData("12345678901234567890")] // more digits than a double holds exactly
    [InlineData("0.00000000000000000000001")] // 23 digits after the point
    [InlineData("16777217")] // exactly halfway between two floats: the general parser rounds it to even
    [InlineData("16777219")]
    public void OtherForms_AreLeftToTheGeneralParser(string text)
        => Assert.False(JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void RandomDecimals_AgreeWithTheRuntimesCorrectlyRoundedParse()
    {
        // float.Parse rounds a decimal to the nearest float (ties to even): the independent answer.
        var random = new Random(12);
        var read = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var text = (i % 4) switch
            {
                // Shortest round-trip doubles, as Python and NumPy write them.
                0 => ((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9))).ToString("R", CultureInfo.InvariantCulture),
                // Fixed decimals of a few places, as most clients format features.
                1 => ((random.NextDouble() - 0.5) * 2000).ToString("F" + random.Next(0, 8), CultureInfo.InvariantCulture),
                // Shortest floats.
                2 => ((float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 7)))).ToString("R", CultureInfo.InvariantCulture),
                // Integers around 2^24 and above, where floats are 2, 4, 8 apart and ties are common.
                _ => (16_777_216L + random.Next(0, 1 << 22)).ToString(CultureInfo.InvariantCulture),
            };

            if (!JsonFloatText.TryParseSingle(Encoding.ASCII.GetBytes(text), out var value))
            {
                continue;
            }

            read++;
            var expected = float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(value), $"'{text}': read {value:R}, nearest float {expected:R}");
        }

        // Most of these are the fast path's case (the rest have exponents or too many digits).
        Assert.InRange(read, 100_000, 200_000);
    }
}
