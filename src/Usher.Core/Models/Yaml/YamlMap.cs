using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>
/// A mapping of <c>config.yaml</c> whose keys were checked: reads each known key's value at its
/// path through the <see cref="YamlReader"/>; an absent key reads as null.
/// </summary>
internal sealed class YamlMap(YamlReader reader, YamlNode node, string path, IReadOnlyDictionary<string, YamlNode> values)
{
    /// <summary>The mapping node itself.</summary>
    public YamlNode Node => node;

    /// <summary>The mapping's key path.</summary>
    public string Path => path;

    /// <summary>The reader recording errors.</summary>
    public YamlReader Reader => reader;

    /// <summary>The path of <paramref name="key"/> in this mapping.</summary>
    public string PathOf(string key) => YamlReader.Child(path, key);

    /// <summary>True when the key is present (with any value).</summary>
    public bool Has(string key) => values.ContainsKey(key);

    /// <summary>The value of <paramref name="key"/>, if present.</summary>
    public bool TryGet(string key, out YamlNode value) => values.TryGetValue(key, out value!);

    /// <summary>The value of a required key; records an error and returns null when absent.</summary>
    public YamlNode? Required(string key, string what)
    {
        if (values.TryGetValue(key, out var value))
        {
            return value;
        }

        reader.Report(node, PathOf(key), $"missing: {what}");
        return null;
    }

    /// <summary>An integer in range, or null when absent or after an error.</summary>
    public long? Integer(string key, long min, long max = long.MaxValue)
        => TryGet(key, out var value) ? reader.Integer(value, PathOf(key), min, max) : null;

    /// <summary>A 32-bit integer in range, or null when absent or after an error.</summary>
    public int? Int32(string key, int min, int max = int.MaxValue)
        => TryGet(key, out var value) ? reader.Int32(value, PathOf(key), min, max) : null;

    /// <summary>A finite number, or null when absent or after an error.</summary>
    public double? Number(string key, bool positive)
        => TryGet(key, out var value) ? reader.Number(value, PathOf(key), positive) : null;

    /// <summary>A boolean, or null when absent or after an error.</summary>
    public bool? Boolean(string key)
        => TryGet(key, out var value) ? reader.Boolean(value, PathOf(key)) : null;

    /// <summary>A non-empty text, or null when absent or after an error.</summary>
    public string? String(string key)
        => TryGet(key, out var value) ? reader.String(value, PathOf(key)) : null;

    /// <summary>One of the named values, or null when absent or after an error.</summary>
    public T? Choice<T>(string key, IReadOnlyList<(string Name, T Value)> choices)
        where T : struct
        => TryGet(key, out var value) ? reader.Choice(value, PathOf(key), choices) : null;

    /// <summary>
    /// A list of integers each in range, or null when absent. A refused item is reported and read as
    /// <paramref name="min"/>, so that the items after it keep their index in later error messages.
    /// </summary>
    public List<long>? Integers(string key, long min, long max = long.MaxValue)
    {
        if (!TryGet(key, out var value) || reader.Sequence(value, PathOf(key)) is not { } items)
        {
            return null;
        }

        var result = new List<long>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            result.Add(reader.Integer(items[i], YamlReader.Item(PathOf(key), i), min, max) ?? min);
        }

        return result;
    }
}
