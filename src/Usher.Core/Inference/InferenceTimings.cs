namespace Usher.Core.Inference;

/// <summary>Where one request's server-side time went; reported in the <c>Server-Timing</c> header.</summary>
/// <param name="Queue">Waiting in the scheduler's queue.</param>
/// <param name="Compute">The batch it ran in, on the backend.</param>
/// <param name="CacheHit">True when the answer came from the prediction cache (no queue, no compute).</param>
/// <param name="Total">
/// The request's duration from its start (where the frontend received it; the router's call for a
/// caller that gives no start, the version's for an unrouted one) to the answer, outputs named: the one
/// measurement that <c>Server-Timing</c>'s <c>total</c>, the request-duration histogram of
/// <c>/metrics</c> and the rollout analysis all use.
/// </param>
internal readonly record struct InferenceTimings(TimeSpan Queue, TimeSpan Compute, bool CacheHit, TimeSpan Total = default);
