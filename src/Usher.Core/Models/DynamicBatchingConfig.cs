namespace Usher.Core.Models;

/// <summary>The <c>dynamic_batching</c> section of <c>config.yaml</c> (Triton's semantics).</summary>
internal sealed record DynamicBatchingConfig
{
    /// <summary>The largest batch formed; null = the model's <c>max_batch_size</c>.</summary>
    public int? MaxBatchSize { get; init; }

    /// <summary>
    /// How long the oldest request may wait for a fuller batch (Triton's delay mode); null (the
    /// default) = the adaptive mode: dispatch at once to an idle instance, and let a batch grow only
    /// while every instance is busy.
    /// </summary>
    public long? MaxQueueDelayMicroseconds { get; init; }

    /// <summary>Batch sizes executed as soon as they can be formed; empty = <c>max_batch_size</c>.</summary>
    public IReadOnlyList<int> PreferredBatchSize { get; init; } = [];

    /// <summary>Number of priority levels (1 = highest); 0 = a single queue.</summary>
    public int PriorityLevels { get; init; }

    /// <summary>The level of requests without a <c>priority</c> parameter; required when levels &gt; 0.</summary>
    public int DefaultPriorityLevel { get; init; }

    /// <summary>The queue policy of every level without its own.</summary>
    public QueuePolicy DefaultQueuePolicy { get; init; } = new();

    /// <summary>Per-level queue policies, by level.</summary>
    public IReadOnlyDictionary<int, QueuePolicy> PriorityQueuePolicy { get; init; } = new Dictionary<int, QueuePolicy>();

    /// <summary>Latency-target mode: form the largest batch that meets this target; null = off.</summary>
    public double? LatencyTargetMs { get; init; }
}

/// <summary>A queue's limits and timeout behaviour (Triton's <c>ModelQueuePolicy</c>).</summary>
internal sealed record QueuePolicy
{
    /// <summary>Requests beyond this are rejected at once with 503; 0 = the server's bound.</summary>
    public int MaxQueueSize { get; init; }

    /// <summary>Time a request may wait in the queue; 0 = no timeout.</summary>
    public long DefaultTimeoutMicroseconds { get; init; }

    /// <summary>Whether a request's <c>timeout</c> parameter may set a shorter timeout.</summary>
    public bool AllowTimeoutOverride { get; init; }

    /// <summary>What happens to a request whose timeout passed in the queue.</summary>
    public TimeoutAction TimeoutAction { get; init; } = TimeoutAction.Reject;
}

/// <summary>What a queue does with a request whose timeout passed.</summary>
internal enum TimeoutAction
{
    /// <summary>Fail it with 503.</summary>
    Reject,
    /// <summary>Run it after every request that has not timed out.</summary>
    Delay,
}
