namespace Usher.Core.Scheduling;

/// <summary>Server-wide bounds of the schedulers (section <c>scheduling</c> of <c>usher.yaml</c>).</summary>
public sealed class SchedulingOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Scheduling";

    /// <summary>
    /// Requests one priority level of one version may hold queued when its config sets no
    /// <c>max_queue_size</c>; default 1024. Never unbounded.
    /// </summary>
    public int MaxQueueSize { get; set; } = 1024;

    /// <summary>Bytes of input tensors queued or running across every model; default 1 GiB. Beyond it, 503.</summary>
    public long MaxInFlightBytes { get; set; } = 1L << 30;

    /// <summary>The <c>Retry-After</c> seconds sent with a 503 for a full queue; default 1.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Every problem with these settings, empty when valid (the rules of <see cref="SchedulingOptionsValidator"/>).</summary>
    public IEnumerable<string> Validate() => new SchedulingOptionsValidator().Problems(this);
}
