using System.Globalization;
using Usher.Core.Tensors;
using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>Reads the top level of <c>config.yaml</c> into a <see cref="ModelConfig"/>; each section has its own reader.</summary>
internal static class ModelConfigReader
{
    /// <summary>The top-level keys of a config.yaml (the docs' examples are told apart by them).</summary>
    internal static readonly string[] Keys =
    [
        "max_batch_size", "inputs", "outputs", "version_policy", "instances", "onnxruntime", "warmup", "dynamic_batching", "cache", "rollout", "logging", "hardware",
    ];

    private static readonly string[] TensorKeys = ["name", "datatype", "dims", "alias"];

    private static readonly string[] OnnxRuntimeKeys =
        ["intra_op_threads", "inter_op_threads", "graph_optimization_level", "execution_provider", "device_id", "allow_spinning"];

    private static readonly (string, GraphOptimization)[] OptimizationLevels =
    [
        ("disable", GraphOptimization.Disable), ("basic", GraphOptimization.Basic),
        ("extended", GraphOptimization.Extended), ("all", GraphOptimization.All),
    ];

    private static readonly (string, ExecutionProvider)[] Providers = [("cpu", ExecutionProvider.Cpu), ("cuda", ExecutionProvider.Cuda)];

    /// <summary>Reads the root mapping; errors go to <paramref name="reader"/>.</summary>
    public static ModelConfig Read(YamlReader reader, YamlNode root)
    {
        if (root is not YamlMappingNode)
        {
            reader.ReportAt(
                YamlReader.LineOf(root),
                $"expected a mapping of settings (e.g. 'max_batch_size: 8') at the top level, got {YamlReader.Describe(root)}");
            return ModelConfig.Default;
        }

        var map = reader.Map(root, "", Keys)!;
        var config = ModelConfig.Default;
        return config with
        {
            MaxBatchSize = map.Int32("max_batch_size", 0),
            Inputs = map.TryGet("inputs", out var inputs) ? ReadTensors(reader, inputs, "inputs") : config.Inputs,
            Outputs = map.TryGet("outputs", out var outputs) ? ReadTensors(reader, outputs, "outputs") : config.Outputs,
            VersionPolicy = map.TryGet("version_policy", out var policy)
                ? VersionPolicyReader.Read(reader, policy, "version_policy") ?? config.VersionPolicy
                : config.VersionPolicy,
            Instances = map.TryGet("instances", out var instances) ? ReadInstances(reader, instances) : config.Instances,
            OnnxRuntime = map.TryGet("onnxruntime", out var ort) ? ReadOnnxRuntime(reader, ort) : config.OnnxRuntime,
            Warmup = map.TryGet("warmup", out var warmup) ? WarmupReader.Read(reader, warmup, "warmup") : config.Warmup,
            DynamicBatching = map.TryGet("dynamic_batching", out var batching)
                ? DynamicBatchingReader.Read(reader, batching, "dynamic_batching")
                : null,
            Cache = map.TryGet("cache", out var cache) ? CacheReader.Read(reader, cache, "cache") : null,
            RolloutJson = map.TryGet("rollout", out var rollout) ? ReadRollout(reader, rollout) : null,
            Logging = map.TryGet("logging", out var logging) ? RequestLoggingReader.Read(reader, logging, "logging") : null,
            Hardware = map.TryGet("hardware", out var hardware) ? ReadHardware(reader, hardware) : null,
        };
    }

    private static string? ReadHardware(YamlReader reader, YamlNode node)
    {
        if (node is YamlScalarNode { Value: { } text } && !YamlReader.IsNull(node) && LabelValue.IsValid(text))
        {
            return text;
        }

        reader.Report(node, "hardware", $"expected {LabelValue.Expected}, matched against a replica's hw label, got {YamlReader.Describe(node)}");
        return null;
    }

    // The section is a deployment spec without endpoint and version; the control plane validates it
    // when a new version appears. Here it only has to be a mapping.
    private static string? ReadRollout(YamlReader reader, YamlNode node)
    {
        if (node is not YamlMappingNode)
        {
            reader.Report(node, "rollout", $"expected a mapping (e.g. 'strategy: canary'), got {YamlReader.Describe(node)}");
            return null;
        }

        return YamlJson.ToJson(node);
    }

    /// <summary>Reads dims: integers >= -1 where -1 is variable; 0 is refused because no tensor has an empty axis here.</summary>
    public static long[]? ReadDims(YamlMap map, string key, bool allowVariable)
    {
        if (!map.TryGet(key, out var node) || map.Reader.Sequence(node, map.PathOf(key)) is not { } items)
        {
            return null;
        }

        var dims = new List<long>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var path = YamlReader.Item(map.PathOf(key), i);
            var dim = allowVariable ? map.Reader.Integer(items[i], path, -1) : map.Reader.Integer(items[i], path, 1);
            if (dim == 0)
            {
                map.Reader.Report(items[i], path, "expected a dimension >= 1 or -1 for a variable one, got '0'");
            }
            else if (dim is { } value)
            {
                dims.Add(value);
            }
        }

        return [.. dims];
    }

    private static List<TensorOverride> ReadTensors(YamlReader reader, YamlNode node, string path)
    {
        var tensors = new List<TensorOverride>();
        if (reader.Sequence(node, path) is not { } items)
        {
            return tensors;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (reader.Map(items[i], YamlReader.Item(path, i), TensorKeys) is not { } map)
            {
                // A nameless placeholder keeps the later entries at their index for the validator's messages.
                tensors.Add(new TensorOverride(""));
                continue;
            }

            var name = map.Required("name", "the tensor's name in the model") is { } nameNode
                ? reader.String(nameNode, map.PathOf("name"))
                : null;
            var tensor = new TensorOverride(
                name ?? "",
                ReadDataType(map),
                ReadDims(map, "dims", allowVariable: true),
                map.String("alias"));
            tensors.Add(tensor);
        }

        return tensors;
    }

    private static DataType? ReadDataType(YamlMap map)
    {
        if (!map.TryGet("datatype", out var node))
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && !YamlReader.IsNull(node))
        {
            if (DataTypes.TryParse(text, out var type))
            {
                return type;
            }

            // Triton's TYPE_FP32 and STRING, and lower case, are near misses worth naming.
            var candidate = text.ToUpperInvariant() switch
            {
                "STRING" or "TYPE_STRING" => "BYTES",
                var upper when upper.StartsWith("TYPE_", StringComparison.Ordinal) => upper[5..],
                var upper => upper,
            };
            if (DataTypes.TryParse(candidate, out _))
            {
                map.Reader.Report(node, map.PathOf("datatype"), $"unknown datatype '{text}' (did you mean '{candidate}'?)");
                return null;
            }
        }

        map.Reader.Report(
            node,
            map.PathOf("datatype"),
            $"expected one of {string.Join(", ", DataTypes.ProtocolNames)}, got {YamlReader.Describe(node)}");
        return null;
    }

    private static InstanceCount ReadInstances(YamlReader reader, YamlNode node)
    {
        if (node is YamlScalarNode { Value: "auto" })
        {
            return InstanceCount.Auto;
        }

        if (node is YamlMappingNode)
        {
            return InstanceScalingReader.Read(reader, node, "instances");
        }

        if (node is YamlScalarNode { Value: { } text } && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            return reader.Int32(node, "instances", 1) is { } count ? new InstanceCount(count) : InstanceCount.One;
        }

        reader.Report(node, "instances", $"expected a positive integer, auto, or a range such as {{min: 1, max: 4}}, got {YamlReader.Describe(node)}");
        return InstanceCount.One;
    }

    private static OnnxRuntimeSettings ReadOnnxRuntime(YamlReader reader, YamlNode node)
    {
        var settings = new OnnxRuntimeSettings();
        if (reader.Map(node, "onnxruntime", OnnxRuntimeKeys) is not { } map)
        {
            return settings;
        }

        return settings with
        {
            IntraOpThreads = map.Int32("intra_op_threads", 1),
            InterOpThreads = map.Int32("inter_op_threads", 1),
            GraphOptimizationLevel = map.Choice("graph_optimization_level", OptimizationLevels) ?? settings.GraphOptimizationLevel,
            ExecutionProvider = map.Choice("execution_provider", Providers) ?? settings.ExecutionProvider,
            DeviceId = map.Int32("device_id", 0) ?? settings.DeviceId,
            AllowSpinning = map.Boolean("allow_spinning") ?? settings.AllowSpinning,
        };
    }
}
