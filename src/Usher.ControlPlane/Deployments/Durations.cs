using System.Globalization;

namespace Usher.ControlPlane.Deployments;

/// <summary>Durations as specs write them: <c>500ms</c>, <c>90s</c>, <c>10m</c>, <c>1h</c>, or a number of seconds.</summary>
public static class Durations
{
    /// <summary>Parses <paramref name="text"/>; null when it is not a duration.</summary>
    public static TimeSpan? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                && double.IsFinite(value) && value >= 0)
            {
                return TimeSpan.FromSeconds(value * seconds);
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && double.IsFinite(plain) && plain >= 0
            ? TimeSpan.FromSeconds(plain)
            : null;
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
