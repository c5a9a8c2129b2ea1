using System.Globalization;

namespace Usher.ControlPlane.Deployments;

/// <summary>
/// Durations as specs and flags write them: a number and its unit, <c>500ms</c>, <c>90s</c>,
/// <c>10m</c>, <c>1.5h</c>. A bare number is not a duration (seconds or milliseconds would be a guess).
/// </summary>
internal static class Durations
{
    /// <summary>What a duration looks like, for messages.</summary>
    public const string Expected = "a duration such as 500ms, 90s, 10m or 1h";

    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];

    /// <summary>Parses <paramref name="text"/> (zero included); null when it is not a number with a unit.</summary>
    public static TimeSpan? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        foreach (var (suffix, seconds) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && text.Length > suffix.Length
                && char.IsAsciiDigit(text[^(suffix.Length + 1)])
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value))
            {
                return TimeSpan.FromSeconds(value * seconds);
            }
        }

        return null;
    }

    /// <summary>Formats a duration the way specs write it (<c>60s</c>, <c>10m</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value.TotalSeconds < 1)
        {
            return value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
        }

        if (value.TotalHours >= 1 && value.TotalHours % 1 == 0)
        {
            return value.TotalHours.ToString(CultureInfo.InvariantCulture) + "h";
        }

        return value.TotalMinutes >= 1 && value.TotalSeconds % 60 == 0
            ? value.TotalMinutes.ToString(CultureInfo.InvariantCulture) + "m"
            : value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }
}
