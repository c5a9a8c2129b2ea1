using System.Globalization;
using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>
/// Lenient reads of the server's JSON for the tables: a missing or null field reads as "-" (or null),
/// so that a server one version ahead, with a field more or less, still prints.
/// </summary>
internal static class JsonFields
{
    /// <summary>The printed form of an absent value.</summary>
    public const string Missing = "-";

    /// <summary>The field, when present and not null.</summary>
    public static JsonElement? Get(JsonElement obj, string name)
        => obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    /// <summary>A field as text: strings as they are, numbers in invariant form, else "-".</summary>
    public static string Text(JsonElement obj, string name) => Get(obj, name) is { } value ? Format(value) : Missing;

    /// <summary>A value as text: strings as they are, numbers and booleans as JSON writes them.</summary>
    public static string Format(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null or JsonValueKind.Undefined => Missing,
        _ => value.GetRawText(),
    };

    /// <summary>A field as a number, when it is one.</summary>
    public static double? Number(JsonElement obj, string name)
        => Get(obj, name) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : null;

    /// <summary>The items of an array field; none when absent.</summary>
    public static IEnumerable<JsonElement> Items(JsonElement obj, string name)
        => Get(obj, name) is { ValueKind: JsonValueKind.Array } value ? value.EnumerateArray() : [];

    /// <summary>A timestamp field in UTC to the second (<c>2026-11-28 20:00:00Z</c>); other text as it is.</summary>
    public static string Time(JsonElement obj, string name)
    {
        var text = Text(obj, name);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : text;
    }

    /// <summary>A fraction as a percentage without trailing zeros: 0.1 → <c>10%</c>, 0.125 → <c>12.5%</c>.</summary>
    public static string Percent(double fraction)
        => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";
}
