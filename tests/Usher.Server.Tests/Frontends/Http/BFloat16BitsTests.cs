using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class BFloat16BitsTests
{
    [Theory]
    [InlineData(0x3F800000u, (ushort)0x3F80)] // 1: exact
    [InlineData(0x3F808000u, (ushort)0x3F80)] // halfway, even below: down
    [InlineData(0x3F818000u, (ushort)0x3F82)] // halfway, odd below: up to even
    [InlineData(0x3F808001u, (ushort)0x3F81)] // just above halfway: up
    [InlineData(0x3F807FFFu, (ushort)0x3F80)] // just below halfway: down
    [InlineData(0xBF818000u, (ushort)0xBF82)] // negative halfway: up in magnitude to even
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)] // float max rounds to infinity
    [InlineData(0x7F800000u, (ushort)0x7F80)] // infinity
    [InlineData(0x00008000u, (ushort)0x0000)] // subnormal halfway to the smallest bf16 subnormal: even is 0
    [InlineData(0x80000000u, (ushort)0x8000)] // -0
    public void FromSingle_RoundsToNearestEven(uint floatBits, ushort expected)
        => Assert.Equal(expected, BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(floatBits)));

    [Fact]
    public void FromSingle_NaNWithLowPayloadOnly_StaysNaN()
    {
        // Truncation would give 0x7F80, infinity.
        var bits = BFloat16Bits.FromSingle(BitConverter.UInt32BitsToSingle(0x7F800001));
        Assert.True(float.IsNaN(BFloat16Bits.ToSingle(bits)));
    }

    [Fact]
    public void ToSingle_IsTheUpperHalfOfTheFloat()
        => Assert.Equal(BitConverter.UInt32BitsToSingle(0x40490000), BFloat16Bits.ToSingle(0x4049));
}
