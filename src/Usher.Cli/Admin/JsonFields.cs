using System.Globalization;

namespace Usher.Cli.Admin;

/// <summary>How the tables print the admin API's values: absent ones as "-", times in UTC, fractions as percentages.</summary>
internal static class JsonFields
{
    /// <summary>The printed form of an absent value.</summary>
    public const string Missing = "-";

    /// <summary>A value, or "-" when absent.</summary>
    public static string Text<T>(T? value) => value switch
    {
        null => Missing,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? Missing,
    };

    /// <summary>A timestamp in UTC to the second (<c>2026-11-28 20:00:00Z</c>), or "-".</summary>
    public static string Time(DateTimeOffset? time)
        => time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : Missing;

    /// <summary>A fraction as a percentage without trailing zeros: 0.1 → <c>10%</c>, 0.125 → <c>12.5%</c>.</summary>
    public static string Percent(double fraction)
        => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";
}
