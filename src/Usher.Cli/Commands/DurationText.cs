using System.Globalization;
using System.Text.RegularExpressions;

namespace Usher.Cli.Commands;

/// <summary>
/// Durations as deployment specs and flags spell them: a positive number and a unit, <c>500ms</c>,
/// <c>90s</c>, <c>10m</c>, <c>1h</c> (<c>1.5h</c> too). They are sent to the server as written.
/// </summary>
internal static partial class DurationText
{
    /// <summary>What a duration looks like, for error messages.</summary>
    public const string Expected = "a duration such as 500ms, 90s, 10m or 1h";

    /// <summary>The duration, or null when <paramref name="text"/> is not one (or is not positive).</summary>
    public static TimeSpan? Parse(string? text)
    {
        if (text is null || Pattern().Match(text.Trim()) is not { Success: true } match)
        {
            return null;
        }

        var amount = double.Parse(match.Groups["amount"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var duration = match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            _ => TimeSpan.FromHours(amount),
        };
        return duration > TimeSpan.Zero ? duration : null;
    }

    /// <summary>The message for a refused duration.</summary>
    public static string Refusal(string text) => $"expected {Expected}, got '{text}'";

    [GeneratedRegex(@"^(?<amount>[0-9]+(\.[0-9]+)?)(?<unit>ms|s|m|h)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
