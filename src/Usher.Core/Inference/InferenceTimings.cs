namespace Usher.Core.Inference;

/// <summary>Where one request's server-side time went; reported in the <c>Server-Timing</c> header.</summary>
/// <param name="Queue">Waiting in the scheduler's queue.</param>
/// <param name="Compute">The batch it ran in, on the backend.</param>
/// <param name="CacheHit">True when the answer came from the prediction cache (no queue, no compute).</param>
/// <param name="Total">
/// The request's duration from routing (or from the version, when unrouted) to the answer: the one
/// measurement that both the request-duration histogram of <c>/metrics</c> and the rollout analysis use.
/// </param>
internal readonly record struct InferenceTimings(TimeSpan Queue, TimeSpan Compute, bool CacheHit, TimeSpan Total = default);
