using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Usher.Cli.Profile;

/// <summary>
/// The <c>config.yaml</c> a point runs with: the model's own file with the swept keys replaced.
/// Everything else (inputs, outputs, <c>max_batch_size</c>, warm-up, the other <c>onnxruntime</c>
/// keys) stays as the model has it, so the point is what a server would run.
/// </summary>
internal static class PointConfigYaml
{
    /// <summary>
    /// The file's text for <paramref name="point"/>, from the model's <paramref name="original"/>
    /// text (null or empty: no <c>config.yaml</c>). Always: only the point's version is loaded, and
    /// the prediction cache and an automatic rollout are left out (a cache would answer the
    /// generator's repeated requests without running the model). Unless the point is the default:
    /// <c>instances</c>, <c>onnxruntime.intra_op_threads</c>, and <c>dynamic_batching</c> in the
    /// adaptive mode with the point's batch size (none for batch 1).
    /// </summary>
    public static string For(string? original, PointConfig point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var root = Parse(original);
        Remove(root, "version_policy");
        Remove(root, "cache");
        Remove(root, "rollout");
        root.Add("version_policy", new YamlMappingNode { { "specific", new YamlSequenceNode(Number(point.Version)) } });
        if (!point.IsDefault)
        {
            Overrides(point).ToList().ForEach(entry => Set(root, entry.Key, entry.Value));
        }

        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    /// <summary>The section to add to the model's <c>config.yaml</c> to run <paramref name="point"/>, as YAML text.</summary>
    public static string Section(PointConfig point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var lines = new List<string>
        {
            $"instances: {point.Instances.ToString(CultureInfo.InvariantCulture)}",
            $"onnxruntime: {{ intra_op_threads: {point.IntraOpThreads.ToString(CultureInfo.InvariantCulture)} }}",
            point.BatchSize > 1
                ? $"dynamic_batching: {{ max_batch_size: {point.BatchSize.ToString(CultureInfo.InvariantCulture)} }}"
                : "# no dynamic_batching section: each request runs as its own batch",
        };
        return string.Join('\n', lines) + "\n";
    }

    private static IEnumerable<KeyValuePair<string, YamlNode?>> Overrides(PointConfig point)
    {
        yield return new("instances", Number(point.Instances));
        yield return new("onnxruntime", new YamlMappingNode { { "intra_op_threads", Number(point.IntraOpThreads) } });
        yield return new("dynamic_batching", point.BatchSize > 1 ? new YamlMappingNode { { "max_batch_size", Number(point.BatchSize) } } : null);
    }

    private static void Set(YamlMappingNode root, string key, YamlNode? value)
    {
        if (key == "onnxruntime" && value is YamlMappingNode keys && root.Children.TryGetValue(new YamlScalarNode(key), out var existing) && existing is YamlMappingNode section)
        {
            // The model's other session settings (optimization level, provider) stay.
            foreach (var (k, v) in keys.Children)
            {
                section.Children[k] = v;
            }

            return;
        }

        Remove(root, key);
        if (value is not null)
        {
            root.Add(key, value);
        }
    }

    private static YamlMappingNode Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode mapping ? mapping : [];
    }

    private static void Remove(YamlMappingNode root, string key) => root.Children.Remove(new YamlScalarNode(key));

    private static YamlScalarNode Number(long value) => new(value.ToString(CultureInfo.InvariantCulture));
}
