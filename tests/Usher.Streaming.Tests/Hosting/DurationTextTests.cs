using Usher.Streaming.Hosting;

namespace Usher.Streaming.Tests.Hosting;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("250", 250)]
    [InlineData(" 2.5 ", 2.5)]
    [InlineData("5ms", 5)]
    [InlineData("2s", 2_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("0", 0)]
    public void Parse_ABareNumberIsMilliseconds_AndAUnitIsTheSpecsDuration(string text, double milliseconds)
        => Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationText.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("5 s")]
    [InlineData("s")]
    [InlineData("fast")]
    public void Parse_AnythingElse_IsNull(string text) => Assert.Null(DurationText.Parse(text));
}
