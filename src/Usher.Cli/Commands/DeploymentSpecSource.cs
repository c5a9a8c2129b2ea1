using System.Globalization;
using System.Text.Json.Nodes;
using Usher.ControlPlane.Deployments;
using Usher.Core.Models.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Cli.Commands;

/// <summary>
/// A deployment spec as <c>usher deploy</c> builds it: the YAML file turned into the JSON the admin API
/// takes, with the flags laid over it. The CLI validates nothing itself: <see cref="Check"/> runs the
/// server's <see cref="DeploymentSpecParser"/> on the JSON and points each problem at where its value
/// came from, the file's line or the flag (<c>fraud.yaml line 6: canary.interval: ...</c>).
/// </summary>
internal sealed class DeploymentSpecSource
{
    private readonly string? _sourceName;
    private readonly YamlNode? _root;
    private readonly List<(string Path, string Flag)> _flags = [];

    private DeploymentSpecSource(string? sourceName, YamlNode? root, JsonNode json)
    {
        _sourceName = sourceName;
        _root = root;
        Json = json;
    }

    /// <summary>The request body: the file's keys as JSON with the flags' values over them (a mapping, unless the file is not one).</summary>
    public JsonNode Json { get; }

    /// <summary>A spec given by flags only.</summary>
    public static DeploymentSpecSource Empty() => new(null, null, new JsonObject());

    /// <summary>Reads the file at <paramref name="path"/>; null after a problem (unreadable, not YAML, not a mapping).</summary>
    public static DeploymentSpecSource? Read(string path, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(problems);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{path}: cannot read the spec file ({ex.Message}); check the path");
            return null;
        }

        return Parse(text, path, problems);
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> starts every problem. Null after a problem.</summary>
    public static DeploymentSpecSource? Parse(string yamlText, string sourceName, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(problems);
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(yamlText);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            problems.Add($"{sourceName} line {ex.Start.Line}: not valid YAML: {ex.Message}");
            return null;
        }

        if (stream.Documents.Count != 1 || YamlReader.IsNull(stream.Documents[0].RootNode))
        {
            problems.Add($"{sourceName}: expected one YAML document with the deployment's keys (endpoint, version, strategy, ...; see samples/deployments/)");
            return null;
        }

        // Whatever the root is, the parser says what it expected: the same words as the admin API's.
        var root = stream.Documents[0].RootNode;
        return new DeploymentSpecSource(sourceName, root, JsonNode.Parse(YamlJson.ToJson(root))!);
    }

    /// <summary>Sets <paramref name="path"/> (<c>canary.steps</c>) to <paramref name="value"/>, given by <paramref name="flag"/>.</summary>
    public void Override(string path, JsonNode value, string flag)
    {
        var keys = path.Split('.');
        if (Json is not JsonObject target)
        {
            // The file is not a mapping: the parser reports it, whatever the flags say.
            return;
        }

        foreach (var key in keys[..^1])
        {
            if (target[key] is not JsonObject section)
            {
                section = [];
                target[key] = section;
            }

            target = section;
        }

        target[keys[^1]] = value;
        _flags.Add((path, flag));
    }

    /// <summary>The server's verdict on the spec, each problem also printed with where its value came from.</summary>
    public (DeploymentSpecResult Result, IReadOnlyList<string> Messages) Check()
    {
        var result = DeploymentSpecParser.Parse(Json.ToJsonString());
        return (result, [.. result.Errors.Select(e => Where(e.Path) is { } where ? $"{where}: {e}" : e.ToString())]);
    }

    // A flag's value for the key or under it; else the file's line; else a flag that built the section.
    private string? Where(string path)
    {
        foreach (var (key, flag) in _flags)
        {
            if (path == key || path.StartsWith(key + ".", StringComparison.Ordinal) || path.StartsWith(key + "[", StringComparison.Ordinal))
            {
                return flag;
            }
        }

        if (_root is not null && Find(_root, path) is { } line)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{_sourceName} line {line}");
        }

        foreach (var (key, flag) in _flags)
        {
            if (key.StartsWith(path + ".", StringComparison.Ordinal))
            {
                return flag;
            }
        }

        return _sourceName;
    }

    // The line of the node at a key path (keys by dots, items by [i]): the key's own line for a mapping entry.
    private static int? Find(YamlNode root, string path)
    {
        if (path.Length == 0)
        {
            return null;
        }

        YamlNode node = root;
        YamlNode? located = null;
        foreach (var segment in Segments(path))
        {
            switch (node, segment)
            {
                case (YamlMappingNode map, string key):
                    var entry = map.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: { } k } && k == key);
                    if (entry.Key is null)
                    {
                        return null;
                    }

                    located = entry.Key;
                    node = entry.Value;
                    break;
                case (YamlSequenceNode list, int index) when index < list.Children.Count:
                    node = list.Children[index];
                    located = node;
                    break;
                default:
                    return null;
            }
        }

        return located is null ? null : YamlReader.LineOf(located);
    }

    private static IEnumerable<object> Segments(string path)
    {
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            yield return bracket < 0 ? part : part[..bracket];
            while (bracket >= 0)
            {
                var close = part.IndexOf(']', bracket);
                yield return int.Parse(part.AsSpan(bracket + 1, close - bracket - 1), NumberStyles.None, CultureInfo.InvariantCulture);
                bracket = part.IndexOf('[', close);
            }
        }
    }
}
