namespace Usher.Core.Inference;

/// <summary>Where one request's server-side time went; reported in the <c>Server-Timing</c> header.</summary>
/// <param name="Queue">Waiting in the scheduler's queue.</param>
/// <param name="Compute">The batch it ran in, on the backend.</param>
/// <param name="CacheHit">True when the answer came from the prediction cache (no queue, no compute).</param>
public readonly record struct InferenceTimings(TimeSpan Queue, TimeSpan Compute, bool CacheHit);
