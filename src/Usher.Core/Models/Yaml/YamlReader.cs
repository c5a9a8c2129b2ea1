using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>
/// Walks a YAML representation tree with strict types: reads scalars, lists and mappings at a key
/// path and records an error naming the path for everything that does not fit, so that one pass
/// reports every problem in a file.
/// </summary>
internal sealed class YamlReader(string sourceName)
{
    private readonly List<ModelConfigError> _errors = [];

    /// <summary>The errors recorded so far, in the order found.</summary>
    public IReadOnlyList<ModelConfigError> Errors => _errors;

    /// <summary>Records an error at <paramref name="path"/>, with the node's line when there is one.</summary>
    public void Report(YamlNode? node, string path, string message)
        => _errors.Add(new ModelConfigError(sourceName, path, message, node is null ? null : LineOf(node)));

    /// <summary>Records an error about the whole file at a line.</summary>
    public void ReportAt(int? line, string message) => _errors.Add(new ModelConfigError(sourceName, null, message, line));

    /// <summary>The node as a mapping whose keys are checked against <paramref name="knownKeys"/>, or null after an error.</summary>
    public YamlMap? Map(YamlNode node, string path, IReadOnlyList<string> knownKeys)
    {
        var entries = Entries(node, path);
        if (entries is null)
        {
            return null;
        }

        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, keyNode, value) in entries)
        {
            if (knownKeys.Contains(key))
            {
                values[key] = value;
            }
            else
            {
                Report(keyNode, Child(path, key), UnknownKey(key, knownKeys));
            }
        }

        return new YamlMap(this, node, path, values);
    }

    /// <summary>The entries of a mapping whose keys are data (input names, levels), or null after an error.</summary>
    public IReadOnlyList<(string Key, YamlNode KeyNode, YamlNode Value)>? Entries(YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            Report(node, path, $"expected a mapping, got {Describe(node)}");
            return null;
        }

        var entries = new List<(string, YamlNode, YamlNode)>(mapping.Children.Count);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is YamlScalarNode { Value: { Length: > 0 } key } && !IsNull(keyNode))
            {
                entries.Add((key, keyNode, value));
            }
            else
            {
                Report(keyNode, path, $"expected a text key, got {Describe(keyNode)}");
            }
        }

        return entries;
    }

    /// <summary>The items of a list, or null after an error.</summary>
    public IReadOnlyList<YamlNode>? Sequence(YamlNode node, string path)
    {
        if (node is YamlSequenceNode sequence)
        {
            return [.. sequence.Children];
        }

        Report(node, path, $"expected a list, got {Describe(node)}");
        return null;
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>], or null after an error.</summary>
    public long? Integer(YamlNode node, string path, long min, long max = long.MaxValue)
    {
        if (!TryPlainScalar(node, out var text)
            || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            || value < min || value > max)
        {
            Report(node, path, $"expected {DescribeRange(min, max)}, got {Describe(node)}");
            return null;
        }

        return value;
    }

    /// <summary>A 32-bit integer in [<paramref name="min"/>, <paramref name="max"/>], or null after an error.</summary>
    public int? Int32(YamlNode node, string path, int min, int max = int.MaxValue)
        => (int?)Integer(node, path, min, max);

    /// <summary>A finite number, greater than zero when <paramref name="positive"/>, or null after an error.</summary>
    public double? Number(YamlNode node, string path, bool positive)
    {
        if (!TryPlainScalar(node, out var text)
            || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || (positive && value <= 0))
        {
            Report(node, path, $"expected {(positive ? "a number > 0" : "a number")}, got {Describe(node)}");
            return null;
        }

        return value;
    }

    /// <summary><c>true</c> or <c>false</c>, or null after an error.</summary>
    public bool? Boolean(YamlNode node, string path)
    {
        if (TryPlainScalar(node, out var text))
        {
            if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        Report(node, path, $"expected true or false, got {Describe(node)}");
        return null;
    }

    /// <summary>A non-empty text, quoted or not, or null after an error.</summary>
    public string? String(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { Length: > 0 } value } && !IsNull(node))
        {
            return value;
        }

        Report(node, path, $"expected a non-empty text, got {Describe(node)}");
        return null;
    }

    /// <summary>One of the names of <paramref name="values"/>, compared without case, or null after an error.</summary>
    public T? Choice<T>(YamlNode node, string path, IReadOnlyList<(string Name, T Value)> values)
        where T : struct
    {
        if (node is YamlScalarNode { Value: { } text } && !IsNull(node))
        {
            foreach (var (name, value) in values)
            {
                if (name.Equals(text, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }
        }

        Report(node, path, $"expected one of {string.Join(", ", values.Select(v => v.Name))}, got {Describe(node)}");
        return null;
    }

    /// <summary>The path of <paramref name="key"/> under <paramref name="path"/>.</summary>
    public static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The path of item <paramref name="index"/> of the list at <paramref name="path"/>.</summary>
    public static string Item(string path, int index) => $"{path}[{index}]";

    /// <summary>True for an empty plain scalar, <c>~</c> or <c>null</c>: YAML's null.</summary>
    public static bool IsNull(YamlNode node)
        => node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar
            && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>How a node reads in an error message: <c>'-3'</c>, <c>the text '64'</c>, <c>a list</c>.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ when IsNull(node) => "nothing",
        YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => $"the quoted text '{s.Value}'",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an alias",
    };

    /// <summary>The 1-based line of a node.</summary>
    public static int LineOf(YamlNode node) => (int)Math.Min(node.Start.Line, int.MaxValue);

    private static bool TryPlainScalar(YamlNode node, out string text)
    {
        // Quoted scalars are text in YAML: "64" is not the number 64, and saying so beats guessing.
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { Length: > 0 } value })
        {
            text = value;
            return true;
        }

        text = "";
        return false;
    }

    private static string DescribeRange(long min, long max) => (min, max) switch
    {
        (1, long.MaxValue or int.MaxValue) => "a positive integer",
        (_, long.MaxValue or int.MaxValue) => $"an integer >= {min}",
        _ => $"an integer from {min} to {max}",
    };

    private static string UnknownKey(string key, IReadOnlyList<string> knownKeys)
    {
        var suggestion = KeySuggestions.Suggest(key, knownKeys);
        return suggestion is null
            ? $"unknown key (expected one of: {string.Join(", ", knownKeys)})"
            : $"unknown key (did you mean '{suggestion}'?)";
    }
}
