using System.Globalization;

namespace Usher.Streaming.Hosting;

/// <summary>Durations as flags and usher.yaml write them: <c>5ms</c>, <c>2s</c>, <c>1m</c>, or a plain number of milliseconds.</summary>
internal static class DurationText
{
    public static TimeSpan? Parse(string text)
    {
        text = text.Trim();
        var (number, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1.0),
            _ when text.EndsWith('s') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') => (text[..^1], 60_000.0),
            _ => (text, 1.0),
        };
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? TimeSpan.FromMilliseconds(value * scale)
            : null;
    }
}
