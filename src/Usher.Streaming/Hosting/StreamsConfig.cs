using System.Globalization;
using Usher.Streaming.Pipeline;
using YamlDotNet.RepresentationModel;

namespace Usher.Streaming.Hosting;

/// <summary>
/// The <c>streams:</c> list of usher.yaml: one item per consumer, with the keys of
/// <c>usher stream</c>'s flags (docs/configuration.md#streams). Every problem is collected.
/// </summary>
internal static class StreamsConfig
{
    public const string Section = "streams";

    /// <summary>The file's streams (none when it has no <c>streams:</c>); throws <see cref="StreamsConfigException"/> listing every problem.</summary>
    public static IReadOnlyList<StreamSpec> Load(string? configFile)
    {
        if (configFile is null || !File.Exists(configFile))
        {
            return [];
        }

        var yaml = new YamlStream();
        using (var reader = File.OpenText(configFile))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode(Section), out var node))
        {
            return [];
        }

        return Read(node, Path.GetFileName(configFile));
    }

    internal static IReadOnlyList<StreamSpec> Read(YamlNode node, string file)
    {
        var problems = new List<string>();
        var specs = new List<StreamSpec>();
        if (node is not YamlSequenceNode items)
        {
            throw new StreamsConfigException([$"{file} line {node.Start.Line}: streams: expected a list of consumers ('- model: fraud' ...)"]);
        }

        var index = 0;
        foreach (var item in items)
        {
            var where = $"{file} line {item.Start.Line.ToString(CultureInfo.InvariantCulture)}: streams[{index.ToString(CultureInfo.InvariantCulture)}].";
            index++;
            if (item is not YamlMappingNode map)
            {
                problems.Add($"{where.TrimEnd('.')}: expected keys such as model, source and sink");
                continue;
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in map.Children)
            {
                var name = ((YamlScalarNode)key).Value ?? string.Empty;
                if (value is YamlScalarNode scalar)
                {
                    values[name] = scalar.Value ?? string.Empty;
                }
                else
                {
                    problems.Add($"{where}{name}: expected a single value");
                }
            }

            var spec = Bind(values, where, problems);
            if (spec is not null)
            {
                var invalid = spec.Validate(where);
                problems.AddRange(invalid);
                if (invalid.Count == 0)
                {
                    specs.Add(spec);
                }
            }
        }

        return problems.Count == 0 ? specs : throw new StreamsConfigException(problems);
    }

    private static readonly string[] Keys =
        ["model", "source", "sink", "dead_letter", "group", "consumer", "max_batch", "max_delay", "max_in_flight", "max_attempts", "routing_key", "claim_idle", "drain_timeout"];

    private static StreamSpec? Bind(Dictionary<string, string> values, string where, List<string> problems)
    {
        foreach (var key in values.Keys.Where(k => !Keys.Contains(k)))
        {
            problems.Add($"{where}{key}: unknown key; a stream has: {string.Join(", ", Keys)}");
        }

        var spec = new StreamSpec
        {
            Model = values.GetValueOrDefault("model", string.Empty),
            Source = values.GetValueOrDefault("source", string.Empty),
            Sink = values.GetValueOrDefault("sink", string.Empty),
            DeadLetter = values.GetValueOrDefault("dead_letter"),
            RoutingKey = values.GetValueOrDefault("routing_key"),
        };
        if (values.TryGetValue("group", out var group))
        {
            spec = spec with { Group = group };
        }

        if (values.TryGetValue("consumer", out var consumer))
        {
            spec = spec with { Consumer = consumer };
        }

        spec = spec with
        {
            MaxBatch = Integer(values, "max_batch", spec.MaxBatch, where, problems),
            MaxInFlight = Integer(values, "max_in_flight", spec.MaxInFlight, where, problems),
            MaxAttempts = Integer(values, "max_attempts", spec.MaxAttempts, where, problems),
            MaxDelay = Duration(values, "max_delay", spec.MaxDelay, where, problems),
            ClaimIdle = Duration(values, "claim_idle", spec.ClaimIdle, where, problems),
            DrainTimeout = Duration(values, "drain_timeout", spec.DrainTimeout, where, problems),
        };
        return spec;
    }

    private static int Integer(Dictionary<string, string> values, string key, int fallback, string where, List<string> problems)
    {
        if (!values.TryGetValue(key, out var text))
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        problems.Add($"{where}{key}: expected a whole number, got '{text}'");
        return fallback;
    }

    private static TimeSpan Duration(Dictionary<string, string> values, string key, TimeSpan fallback, string where, List<string> problems)
    {
        if (!values.TryGetValue(key, out var text))
        {
            return fallback;
        }

        if (DurationText.Parse(text) is { } value)
        {
            return value;
        }

        problems.Add($"{where}{key}: expected a duration such as 5ms, 2s or 1m, got '{text}'");
        return fallback;
    }
}
