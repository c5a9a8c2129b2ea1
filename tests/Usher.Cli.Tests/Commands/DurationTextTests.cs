using Usher.Cli.Commands;

namespace Usher.Cli.Tests.Commands;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("90s", 90_000)]
    [InlineData("10m", 600_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData(" 60s ", 60_000)]
    public void Parse_NumberAndUnit_IsTheDuration(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), DurationText.Parse(text));
    }

    [Theory]
    [InlineData("60")]
    [InlineData("0s")]
    [InlineData("-5s")]
    [InlineData("1d")]
    [InlineData("10 m")]
    [InlineData("1h30m")]
    [InlineData("")]
    [InlineData(null)]
    public void Parse_NotADuration_IsNull(string? text)
    {
        Assert.Null(DurationText.Parse(text));
    }
}
