using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Tests.Models;

/// <summary>
/// Property-based <c>config.yaml</c>: generated valid configurations are written as YAML and read back
/// field by field; one bad value put into a valid file is reported under its key path and nothing else
/// is blamed; any text (valid files cut short or with bytes replaced) is answered with a configuration
/// or errors, never an exception. To replay a failure, copy the "Replay" FsCheck prints into the
/// attribute: <c>[Property(Replay = "(123,456)")]</c>.
/// </summary>
public sealed class ModelConfigProperties
{
    private const int Cases = 200;

    private static readonly string[] Levels = ["disable", "basic", "extended", "all"];

    private static readonly DataType[] Types = [DataType.Fp32, DataType.Int64, DataType.UInt8, DataType.Bytes, DataType.Fp16, DataType.Bool];

    /// <summary>What the generator chose; the YAML is written from it and the parsed config compared with it.</summary>
    private sealed record Chosen(
        int MaxBatchSize,
        int? Instances,
        int IntraOp,
        int LevelIndex,
        int BatchMax,
        long Delay,
        int[] Preferred,
        int PriorityLevels,
        int QueueSize,
        bool AllowOverride,
        double LatencyTarget,
        bool CacheEnabled,
        long CacheBytes,
        int RoundDecimals,
        (string Name, DataType Type, long[] Dims)[] Inputs,
        bool Flow)
    {
        public string Yaml()
        {
            var yaml = new StringBuilder();
            yaml.AppendLine(CultureInfo.InvariantCulture, $"max_batch_size: {MaxBatchSize}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"instances: {(Instances is { } n ? n.ToString(CultureInfo.InvariantCulture) : "auto")}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"onnxruntime: {{ intra_op_threads: {IntraOp}, graph_optimization_level: {Levels[LevelIndex]} }}");
            yaml.AppendLine(Inputs.Length == 0 ? "inputs: []" : "inputs:");
            foreach (var (name, type, dims) in Inputs)
            {
                var dimsText = string.Join(", ", dims);
                if (Flow)
                {
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"  - {{ name: \"{name}\", datatype: {type.ToProtocolName()}, dims: [{dimsText}] }}");
                }
                else
                {
                    yaml.AppendLine(CultureInfo.InvariantCulture, $"  - name: \"{name}\"\n    datatype: {type.ToProtocolName()}\n    dims: [{dimsText}]");
                }
            }

            yaml.AppendLine("dynamic_batching:");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  max_batch_size: {BatchMax}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  max_queue_delay_microseconds: {Delay}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  preferred_batch_size: [{string.Join(", ", Preferred)}]");
            if (PriorityLevels > 0)
            {
                yaml.AppendLine(CultureInfo.InvariantCulture, $"  priority_levels: {PriorityLevels}\n  default_priority_level: {PriorityLevels}");
            }

            yaml.AppendLine(CultureInfo.InvariantCulture, $"  default_queue_policy: {{ max_queue_size: {QueueSize}, allow_timeout_override: {(AllowOverride ? "true" : "false")} }}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  latency_target_ms: {LatencyTarget.ToString("R", CultureInfo.InvariantCulture)}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"cache:\n  enabled: {(CacheEnabled ? "true" : "false")}\n  max_bytes: {CacheBytes}\n  round_decimals: {RoundDecimals}");
            return yaml.ToString();
        }
    }

    private static readonly Gen<(string, DataType, long[])> Input =
        from type in Gen.Elements(Types)
        from rank in Gen.Choose(0, 3)
        from dims in Gen.Frequency((1, Gen.Constant(-1)), (4, Gen.Choose(1, 4096))).Select(d => (long)d).ArrayOf(rank)
        select ("", type, dims);

    private static readonly Gen<Chosen> Valid =
        from maxBatch in Gen.Choose(1, 1024)
        from instances in Gen.Frequency((4, Gen.Choose(1, 16).Select(n => (int?)n)), (1, Gen.Constant<int?>(null)))
        from intraOp in Gen.Choose(1, 64)
        from level in Gen.Choose(0, 3)
        from batchMax in Gen.Choose(1, maxBatch)
        from delay in Gen.Choose(0, 10_000_000).Select(d => (long)d)
        from preferred in Gen.Choose(1, batchMax).ArrayOf().Select(p => p.Distinct().Take(4).ToArray())
        from priorities in Gen.Choose(0, 4)
        from queueSize in Gen.Choose(0, 100_000)
        from allow in Gen.Elements(true, false)
        from latencyTarget in Gen.Choose(1, 1_000_000).Select(t => t / 1000.0)
        from cacheEnabled in Gen.Elements(true, false)
        from cacheBytes in Gen.Choose(1, int.MaxValue).Select(b => (long)b * 1024)
        from roundDecimals in Gen.Choose(0, 15)
        from inputs in Gen.Choose(0, 3).SelectMany(n => Input.ArrayOf(n))
        from flow in Gen.Elements(true, false)
        select new Chosen(maxBatch, instances, intraOp, level, batchMax, delay, preferred, priorities, queueSize, allow, latencyTarget,
            cacheEnabled, cacheBytes, roundDecimals, [.. inputs.Select((input, i) => ($"in-{i}", input.Item2, input.Item3))], flow);

    [Property(MaxTest = Cases)]
    public Property Parse_GeneratedValidConfig_ReadsBackEveryValue()
        => Prop.ForAll(Valid.ToArbitrary(), chosen =>
        {
            var yaml = chosen.Yaml();
            var result = ModelConfigParser.Parse(yaml, "config.yaml");
            Assert.True(result.Succeeded, yaml + "\n" + string.Join('\n', result.Errors));
            var config = result.Config;

            Assert.Equal(chosen.MaxBatchSize, config.MaxBatchSize);
            Assert.Equal(chosen.Instances, config.Instances.Count);
            Assert.Equal(chosen.IntraOp, config.OnnxRuntime.IntraOpThreads);
            Assert.Equal((GraphOptimization)chosen.LevelIndex, config.OnnxRuntime.GraphOptimizationLevel);
            Assert.Equal(chosen.Inputs.Select(i => i.Name), config.Inputs.Select(i => i.Name));
            Assert.Equal(chosen.Inputs.Select(i => (DataType?)i.Type), config.Inputs.Select(i => i.DataType));
            Assert.Equal(chosen.Inputs.Select(i => i.Dims), config.Inputs.Select(i => i.Dims!));

            var batching = config.DynamicBatching!;
            Assert.Equal(chosen.BatchMax, batching.MaxBatchSize);
            Assert.Equal(chosen.Delay, batching.MaxQueueDelayMicroseconds);
            Assert.Equal(chosen.Preferred, batching.PreferredBatchSize);
            Assert.Equal(chosen.PriorityLevels, batching.PriorityLevels);
            Assert.Equal(chosen.PriorityLevels, batching.DefaultPriorityLevel);
            Assert.Equal(chosen.QueueSize, batching.DefaultQueuePolicy.MaxQueueSize);
            Assert.Equal(chosen.AllowOverride, batching.DefaultQueuePolicy.AllowTimeoutOverride);
            Assert.Equal(chosen.LatencyTarget, batching.LatencyTargetMs);

            var cache = config.Cache!;
            Assert.Equal(chosen.CacheEnabled, cache.Enabled);
            Assert.Equal(chosen.CacheBytes, cache.MaxBytes);
            Assert.Equal(chosen.RoundDecimals, cache.RoundDecimals);
        });

    /// <summary>A line of a valid file replaced by a bad one, and the key path its error must name.</summary>
    private sealed record Defect(string Line, string Replacement, string Path)
    {
        public override string ToString() => $"{Line} -> {Replacement}";
    }

    private static readonly Defect[] Defects =
    [
        new("max_batch_size:", "max_batch_size: -4", "config.yaml: max_batch_size: "),
        new("max_batch_size:", "max_batch_size: lots", "config.yaml: max_batch_size: "),
        new("instances:", "instances: 0", "config.yaml: instances: "),
        new("instances:", "instances: [1, 2]", "config.yaml: instances: "),
        new("onnxruntime:", "onnxruntime: { intra_op_threads: 2, graph_optimization_level: turbo }", "config.yaml: onnxruntime.graph_optimization_level: "),
        new("onnxruntime:", "onnxruntime: { intra_op_thread: 2 }", "config.yaml: onnxruntime.intra_op_thread: "),
        new("  max_queue_delay_microseconds:", "  max_queue_delay_microseconds: -1", "config.yaml: dynamic_batching.max_queue_delay_microseconds: "),
        new("  max_queue_delay_microseconds:", "  max_queue_delay_microseconds: 1.5", "config.yaml: dynamic_batching.max_queue_delay_microseconds: "),
        new("  preferred_batch_size:", "  preferred_batch_size: [0]", "config.yaml: dynamic_batching.preferred_batch_size[0]: "),
        new("  latency_target_ms:", "  latency_target_ms: -3", "config.yaml: dynamic_batching.latency_target_ms: "),
        new("  max_bytes:", "  max_bytes: 0", "config.yaml: cache.max_bytes: "),
        new("  round_decimals:", "  round_decimals: 99", "config.yaml: cache.round_decimals: "),
        new("  enabled:", "  enabled: maybe", "config.yaml: cache.enabled: "),
        new("cache:", "cache_:", "config.yaml: cache_: "),
    ];

    [Property(MaxTest = Cases)]
    public Property Parse_ValidConfigWithOneBadValue_ReportsItUnderItsKeyPath_AndBlamesNothingElse()
        => Prop.ForAll(Valid.ToArbitrary(), Gen.Elements(Defects).ToArbitrary(), (chosen, defect) =>
        {
            var lines = chosen.Yaml().Split('\n');
            var at = Array.FindIndex(lines, line => line.StartsWith(defect.Line, StringComparison.Ordinal));
            Assert.True(at >= 0, defect.Line);
            lines[at] = defect.Replacement;
            var yaml = string.Join('\n', lines);

            var result = ModelConfigParser.Parse(yaml, "config.yaml");

            Assert.False(result.Succeeded, $"{defect} was accepted:\n{yaml}");
            var error = Assert.Single(result.Errors).ToString();
            Assert.StartsWith(defect.Path, error, StringComparison.Ordinal);
            Assert.True(error.Length > defect.Path.Length + 5, error);
        });

    /// <summary>Any text: a valid file cut short, with bytes replaced, or with YAML's special characters sprinkled in.</summary>
    private static readonly Gen<string> Mangled =
        from chosen in Valid
        from cut in Gen.Choose(0, 4000)
        from edits in Gen.Zip(Gen.Choose(0, 4000), Gen.Elements('\0', '[', ']', '{', '}', ':', '-', '&', '*', '!', '|', '>', '\'', '"', '#', '%', '@', '`', '\t', '\n', ' ', '\uFFFF', '\uD800', 'x', '9'))
            .ArrayOf()
        select Mangle(chosen.Yaml(), cut, edits);

    private static string Mangle(string text, int cut, (int At, char With)[] edits)
    {
        var chars = text.ToCharArray();
        foreach (var (at, with) in edits.Take(8))
        {
            chars[at % chars.Length] = with;
        }

        return new string(chars, 0, cut < chars.Length ? cut : chars.Length);
    }

    [Property(MaxTest = Cases * 2)]
    public Property Parse_AnyText_AnswersAConfigOrErrorsThatSayWhere_NeverThrows()
        => Prop.ForAll(Mangled.ToArbitrary(), yaml =>
        {
            var result = ModelConfigParser.Parse(yaml, "config.yaml");
            if (result.Succeeded)
            {
                return;
            }

            Assert.NotEmpty(result.Errors);
            foreach (var error in result.Errors)
            {
                Assert.StartsWith("config.yaml", error.ToString(), StringComparison.Ordinal);
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
            }
        });
}
