using System.Globalization;
using System.Text.Json;
using Usher.Core.Models.Yaml;

namespace Usher.ControlPlane.Deployments;

/// <summary>
/// Reads typed values out of a deployment spec's JSON and records a <see cref="DeploymentSpecProblem"/>
/// naming the key path for everything that does not fit, so that one pass reports every problem.
/// Each value reader takes the object that holds the key and that object's path.
/// </summary>
internal sealed class SpecReader(bool stored = false)
{
    private readonly List<DeploymentSpecProblem> _problems = [];

    /// <summary>
    /// Whether the spec comes from the state store: what an older server accepted and stored (a zero
    /// duration, an alpha above 0.5) must still read back, or the store would not open.
    /// </summary>
    public bool Stored => stored;

    /// <summary>The problems recorded so far, in the order found.</summary>
    public IReadOnlyList<DeploymentSpecProblem> Problems => _problems;

    /// <summary>How many problems were recorded.</summary>
    public int Count => _problems.Count;

    /// <summary>The path of <paramref name="key"/> inside the object at <paramref name="path"/>.</summary>
    public static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The path of item <paramref name="index"/> of the list at <paramref name="path"/>.</summary>
    public static string Item(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    /// <summary>Records a problem at <paramref name="path"/>.</summary>
    public void Add(string path, string message) => _problems.Add(new DeploymentSpecProblem(path, message));

    /// <summary>
    /// Records a problem written by a settings type's own validation: <c>ab.variants: ...</c> keeps
    /// its path; a sentence without one is about <paramref name="path"/>.
    /// </summary>
    public void AddValidation(string path, string text)
    {
        var colon = text.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && text.StartsWith(path, StringComparison.Ordinal) && !text[..colon].Contains(' ', StringComparison.Ordinal))
        {
            Add(text[..colon], text[(colon + 2)..]);
        }
        else
        {
            Add(path, text);
        }
    }

    /// <summary>
    /// The section <paramref name="key"/> of the spec's top level as an object whose keys are checked
    /// against <paramref name="keys"/>; false when it is absent, null or not an object (a problem then).
    /// </summary>
    public bool Section(JsonElement root, string key, IReadOnlyList<string> keys, out JsonElement section)
    {
        if (!root.TryGetProperty(key, out section) || section.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            Add(key, $"expected a mapping, got {Describe(section)}");
            return false;
        }

        CheckKeys(section, key, keys);
        return true;
    }

    /// <summary>Records each key of <paramref name="element"/> that is not in <paramref name="known"/>, with the key most likely meant.</summary>
    public void CheckKeys(JsonElement element, string path, IReadOnlyList<string> known)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                var suggestion = KeySuggestions.Suggest(property.Name, known);
                Add(Child(path, property.Name), suggestion is null
                    ? $"unknown key (expected one of: {string.Join(", ", known)})"
                    : $"unknown key (did you mean '{suggestion}'?)");
            }
        }
    }

    /// <summary>A non-empty string; null when absent or null.</summary>
    public string? String(JsonElement element, string path, string key)
    {
        if (!Value(element, key, out var node))
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(node.GetString()))
        {
            Add(Child(path, key), $"expected a non-empty string, got {Describe(node)}");
            return null;
        }

        return node.GetString();
    }

    /// <summary>An integer of at least <paramref name="min"/> (a JSON number, not text); null when absent or refused.</summary>
    public long? Integer(JsonElement element, string path, string key, long min)
    {
        if (!Value(element, key, out var node))
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.Number || !node.TryGetInt64(out var value))
        {
            Add(Child(path, key), string.Create(CultureInfo.InvariantCulture, $"expected an integer >= {min}, got {Describe(node)}"));
            return null;
        }

        if (value < min)
        {
            Add(Child(path, key), string.Create(CultureInfo.InvariantCulture, $"{value} is below the minimum {min}"));
            return null;
        }

        return value;
    }

    /// <summary>
    /// A number from <paramref name="min"/> (or above it, when <paramref name="aboveMin"/>) to
    /// <paramref name="max"/>; null when absent or refused. <paramref name="hint"/> ends a refusal.
    /// </summary>
    public double? Number(JsonElement element, string path, string key, double min, double max, bool aboveMin = false, string hint = "")
    {
        if (!Value(element, key, out var node))
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.Number || !node.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            Add(Child(path, key), $"expected a number, got {Describe(node)}");
            return null;
        }

        if ((aboveMin ? value <= min : value < min) || value > max)
        {
            var low = Invariant(min);
            var range = (aboveMin, max == double.MaxValue) switch
            {
                (false, true) => $">= {low}",
                (true, true) => $"above {low}",
                (false, false) => $"from {low} to {Invariant(max)}",
                (true, false) => $"above {low}, up to {Invariant(max)}",
            };
            Add(Child(path, key), $"{Invariant(value)} is out of range (expected {range}){hint}");
            return null;
        }

        return value;
    }

    /// <summary>A duration above zero written with its unit (<see cref="Durations"/>); null when absent or refused.</summary>
    public TimeSpan? Duration(JsonElement element, string path, string key)
    {
        if (!Value(element, key, out var node))
        {
            return null;
        }

        var at = Child(path, key);
        if (node.ValueKind == JsonValueKind.Number)
        {
            Add(at, $"{node.GetRawText()} has no unit (expected {Durations.Expected}; e.g. {node.GetRawText()}s)");
            return null;
        }

        var parsed = node.ValueKind == JsonValueKind.String ? Durations.Parse(node.GetString()!) : null;
        if (parsed is null)
        {
            Add(at, $"{Describe(node)} is not a duration (expected {Durations.Expected})");
            return null;
        }

        if (parsed <= TimeSpan.Zero && !(stored && parsed == TimeSpan.Zero))
        {
            Add(at, $"{Describe(node)} is not above zero (expected {Durations.Expected})");
            return null;
        }

        return parsed;
    }

    /// <summary>A list of non-empty names; null when absent or refused.</summary>
    public List<string>? Names(JsonElement element, string path, string key)
    {
        if (!Value(element, key, out var node))
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.Array || node.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(n.GetString())))
        {
            Add(Child(path, key), "expected a list of output names, e.g. [label]");
            return null;
        }

        return [.. node.EnumerateArray().Select(n => n.GetString()!)];
    }

    /// <summary>A value for messages: text quoted, everything else as JSON.</summary>
    public static string Describe(JsonElement node) => node.ValueKind switch
    {
        JsonValueKind.String => $"'{node.GetString()}'",
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a list",
        _ => node.GetRawText(),
    };

    private static bool Value(JsonElement element, string key, out JsonElement node)
        => element.TryGetProperty(key, out node) && node.ValueKind != JsonValueKind.Null;

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
