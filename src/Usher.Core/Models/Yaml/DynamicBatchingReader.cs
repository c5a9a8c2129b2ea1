using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>Reads <c>dynamic_batching</c> and its queue policies; <c>dynamic_batching: {}</c> turns batching on with defaults.</summary>
internal static class DynamicBatchingReader
{
    private static readonly string[] Keys =
    [
        "max_batch_size", "max_queue_delay_microseconds", "preferred_batch_size", "priority_levels",
        "default_priority_level", "default_queue_policy", "priority_queue_policy", "latency_target_ms",
    ];

    private static readonly string[] QueuePolicyKeys =
        ["max_queue_size", "default_timeout_microseconds", "allow_timeout_override", "timeout_action"];

    private static readonly (string, TimeoutAction)[] TimeoutActions = [("REJECT", TimeoutAction.Reject), ("DELAY", TimeoutAction.Delay)];

    /// <summary>The section, with defaults for what it does not set; errors go to <paramref name="reader"/>.</summary>
    public static DynamicBatchingConfig Read(YamlReader reader, YamlNode node, string path)
    {
        var config = new DynamicBatchingConfig();
        if (reader.Map(node, path, Keys) is not { } map)
        {
            return config;
        }

        return config with
        {
            MaxBatchSize = map.Int32("max_batch_size", 1),
            MaxQueueDelayMicroseconds = map.Integer("max_queue_delay_microseconds", 0),
            PreferredBatchSize = map.Integers("preferred_batch_size", 1, int.MaxValue)?.Select(size => (int)size).ToList()
                ?? config.PreferredBatchSize,
            PriorityLevels = map.Int32("priority_levels", 0) ?? config.PriorityLevels,
            DefaultPriorityLevel = map.Int32("default_priority_level", 1) ?? config.DefaultPriorityLevel,
            DefaultQueuePolicy = map.TryGet("default_queue_policy", out var policy)
                ? ReadQueuePolicy(reader, policy, map.PathOf("default_queue_policy"))
                : config.DefaultQueuePolicy,
            PriorityQueuePolicy = map.TryGet("priority_queue_policy", out var policies)
                ? ReadPriorityPolicies(reader, policies, map.PathOf("priority_queue_policy"))
                : config.PriorityQueuePolicy,
            LatencyTargetMs = map.Number("latency_target_ms", positive: true),
        };
    }

    private static Dictionary<int, QueuePolicy> ReadPriorityPolicies(YamlReader reader, YamlNode node, string path)
    {
        var policies = new Dictionary<int, QueuePolicy>();
        foreach (var (key, keyNode, value) in reader.Entries(node, path) ?? [])
        {
            var entryPath = YamlReader.Child(path, key);
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var level) || level < 1)
            {
                reader.Report(keyNode, entryPath, $"expected a priority level (an integer >= 1) as the key, got '{key}'");
                continue;
            }

            policies[level] = ReadQueuePolicy(reader, value, entryPath);
        }

        return policies;
    }

    private static QueuePolicy ReadQueuePolicy(YamlReader reader, YamlNode node, string path)
    {
        var policy = new QueuePolicy();
        if (reader.Map(node, path, QueuePolicyKeys) is not { } map)
        {
            return policy;
        }

        return policy with
        {
            MaxQueueSize = map.Int32("max_queue_size", 0) ?? policy.MaxQueueSize,
            DefaultTimeoutMicroseconds = map.Integer("default_timeout_microseconds", 0) ?? policy.DefaultTimeoutMicroseconds,
            AllowTimeoutOverride = map.Boolean("allow_timeout_override") ?? policy.AllowTimeoutOverride,
            TimeoutAction = map.Choice("timeout_action", TimeoutActions) ?? policy.TimeoutAction,
        };
    }
}
