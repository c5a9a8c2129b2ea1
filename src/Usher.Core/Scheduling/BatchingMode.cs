namespace Usher.Core.Scheduling;

/// <summary>How a batcher lets batches grow.</summary>
internal enum BatchingMode
{
    /// <summary>
    /// No tuning (the default when <c>dynamic_batching</c> sets no <c>max_queue_delay_microseconds</c>):
    /// a request meeting an idle instance runs at once; requests that arrive while every instance is
    /// busy wait, and the instance that finishes takes them all as its next batch. At low load it is
    /// batching off; at high load batches grow with the load.
    /// </summary>
    Adaptive,

    /// <summary>
    /// Triton's semantics (<c>max_queue_delay_microseconds</c> set): a partial batch waits until its
    /// oldest request has waited the delay, unless it reaches the maximum or a preferred size first.
    /// </summary>
    Delay,
}
