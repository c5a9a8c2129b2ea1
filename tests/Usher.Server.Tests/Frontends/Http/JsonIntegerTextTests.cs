using System.Numerics;
using System.Text;
using Usher.Server.Frontends.Http;

namespace Usher.Server.Tests.Frontends.Http;

public sealed class JsonIntegerTextTests
{
    private static bool TryRead<T>(string text, out T value)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var position = 0;
        return JsonIntegerText.TryRead(bytes, ref position, out value) && position == bytes.Length;
    }

    [Fact]
    public void EveryTypesExtremes_AreExact()
    {
        Assert.True(TryRead<byte>("255", out var u8) && u8 == 255);
        Assert.True(TryRead<sbyte>("-128", out var i8) && i8 == -128);
        Assert.True(TryRead<ushort>("65535", out var u16) && u16 == 65535);
        Assert.True(TryRead<short>("-32768", out var i16) && i16 == -32768);
        Assert.True(TryRead<uint>("4294967295", out var u32) && u32 == uint.MaxValue);
        Assert.True(TryRead<int>("-2147483648", out var i32) && i32 == int.MinValue);
        Assert.True(TryRead<int>("2147483647", out i32) && i32 == int.MaxValue);
        Assert.True(TryRead<ulong>("18446744073709551615", out var u64) && u64 == ulong.MaxValue);
        Assert.True(TryRead<long>("-9223372036854775808", out var i64) && i64 == long.MinValue);
        Assert.True(TryRead<long>("9223372036854775807", out i64) && i64 == long.MaxValue);
        Assert.True(TryRead<int>("-0", out i32) && i32 == 0);
        Assert.True(TryRead<int>("0", out i32) && i32 == 0);
    }

    [Theory]
    [InlineData("256")]
    [InlineData("-1")]
    [InlineData("-0")] // as the token reader, which refuses a sign for an unsigned type
    [InlineData("1000")]
    [InlineData("18446744073709551616")] // 2^64: the magnitude itself overflows
    [InlineData("99999999999999999999")]
    public void OutsideByte_IsRefused(string text) => Assert.False(TryRead<byte>(text, out _));

    [Theory]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("1.5")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("1E3")]
    [InlineData("01")]
    [InlineData("-")]
    [InlineData("")]
    [InlineData("+1")]
    [InlineData("\"1\"")]
    public void NotAnInt32_IsRefused(string text) => Assert.False(TryRead<int>(text, out _));

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("-9223372036854775809")]
    [InlineData("18446744073709551616")]
    public void OutsideInt64_IsRefused(string text) => Assert.False(TryRead<long>(text, out _));

    [Fact]
    public void RandomLongs_AgreeWithLongParse()
    {
        var random = new Random(5);
        for (var i = 0; i < 10_000; i++)
        {
            var expected = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63);
            Assert.True(TryRead<long>(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), out var value));
            Assert.Equal(expected, value);
        }
    }
}
