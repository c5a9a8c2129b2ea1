using Usher.Core.Models;

namespace Usher.Core.Scheduling;

/// <summary>
/// What one version's scheduler does, resolved from its config and signature. Without
/// <c>dynamic_batching</c> (or for an unbatched model) every request runs as its own batch, still
/// through the bounded queue and the instance pool.
/// </summary>
internal sealed record BatcherSettings
{
    /// <summary>The largest batch formed, in rows; 0 = requests are never combined.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>How batches wait to grow; see <see cref="BatchingMode"/>.</summary>
    public BatchingMode Mode { get; init; } = BatchingMode.Adaptive;

    /// <summary>Delay mode: how long the oldest request waits for a fuller batch.</summary>
    public TimeSpan MaxQueueDelay { get; init; }

    public IReadOnlyList<int> PreferredBatchSizes { get; init; } = [];

    /// <summary>Priority levels, at least 1 (level 1 is the highest).</summary>
    public int Levels { get; init; } = 1;

    public int DefaultLevel { get; init; } = 1;

    /// <summary>The queue policy of each level, index 0 = level 1.</summary>
    public IReadOnlyList<ResolvedQueuePolicy> Policies { get; init; } = [];

    public TimeSpan? LatencyTarget { get; init; }

    public int Instances { get; init; } = 1;

    /// <summary>
    /// Whether a lone request that meets an idle instance runs at once: no queue delay to wait for
    /// a batch and no latency target to plan for (batching off, or the adaptive mode).
    /// </summary>
    public bool RunsLoneRequestAtOnce => LatencyTarget is null && (MaxBatchSize == 0 || MaxQueueDelay == TimeSpan.Zero);

    public static BatcherSettings From(ModelConfig config, ModelSignature signature, int instances, SchedulingOptions options)
    {
        var batching = config.DynamicBatching;
        var levels = Math.Max(1, batching?.PriorityLevels ?? 0);
        var policies = new ResolvedQueuePolicy[levels];
        for (var level = 1; level <= levels; level++)
        {
            var policy = batching is null
                ? new QueuePolicy()
                : batching.PriorityQueuePolicy.GetValueOrDefault(level) ?? batching.DefaultQueuePolicy;
            policies[level - 1] = new ResolvedQueuePolicy(
                policy.MaxQueueSize > 0 ? policy.MaxQueueSize : options.MaxQueueSize,
                policy.DefaultTimeoutMicroseconds > 0 ? TimeSpan.FromTicks(policy.DefaultTimeoutMicroseconds * 10) : null,
                policy.AllowTimeoutOverride,
                policy.TimeoutAction);
        }

        var maxBatch = 0;
        if (batching is not null && signature.IsBatched)
        {
            maxBatch = Math.Min(batching.MaxBatchSize ?? signature.MaxBatchSize, signature.MaxBatchSize);
        }

        return new BatcherSettings
        {
            MaxBatchSize = maxBatch,
            Mode = batching?.MaxQueueDelayMicroseconds is null ? BatchingMode.Adaptive : BatchingMode.Delay,
            MaxQueueDelay = TimeSpan.FromTicks((batching?.MaxQueueDelayMicroseconds ?? 0) * 10),
            PreferredBatchSizes = [.. (batching?.PreferredBatchSize ?? []).Where(p => p <= maxBatch).Order()],
            Levels = levels,
            DefaultLevel = batching?.PriorityLevels > 0 ? batching.DefaultPriorityLevel : 1,
            Policies = policies,
            LatencyTarget = batching?.LatencyTargetMs is double ms ? TimeSpan.FromMilliseconds(ms) : null,
            Instances = instances,
        };
    }
}

/// <summary>A level's queue policy with the server's defaults applied.</summary>
internal sealed record ResolvedQueuePolicy(int MaxQueueSize, TimeSpan? DefaultTimeout, bool AllowTimeoutOverride, TimeoutAction TimeoutAction);
