namespace Usher.Core.Telemetry;

/// <summary>
/// The one measurement of one request, recorded once into its version's totals
/// (<see cref="ModelMetrics.Record(in RequestObservation)"/>): the same <see cref="Total"/> that the
/// response's timings carry, and so the same figure the rollout analysis reads.
/// </summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Total">Server-side time from the start of its measurement to its answer (zero for a failure: failures are counted, not timed).</param>
/// <param name="Queue">Time it waited before its batch started.</param>
/// <param name="Compute">Backend time of the batch that carried it.</param>
/// <param name="Reason">Why it failed (only with <see cref="RequestOutcome.Failed"/>).</param>
internal readonly record struct RequestObservation(RequestOutcome Outcome, TimeSpan Total, TimeSpan Queue, TimeSpan Compute, FailureReason Reason = default)
{
    /// <summary>An answered request.</summary>
    public static RequestObservation Succeeded(TimeSpan queue, TimeSpan compute, TimeSpan total) => new(RequestOutcome.Succeeded, total, queue, compute);

    /// <summary>A request answered from the prediction cache.</summary>
    public static RequestObservation CacheHit(TimeSpan total) => new(RequestOutcome.CacheHit, total, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>A failed request.</summary>
    public static RequestObservation Failed(FailureReason reason) => new(RequestOutcome.Failed, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, reason);
}
