namespace Usher.Server.Frontends.Http;

/// <summary>
/// Timestamps (<see cref="System.Diagnostics.Stopwatch"/> ticks) taken along one REST inference
/// request when <c>server.timing_stages</c> is on, from which <see cref="ServerTiming"/> splits the
/// overhead into stages.
/// </summary>
/// <param name="Started">The handler started.</param>
/// <param name="Read">The body was read (route values, headers and content coding checked before it).</param>
/// <param name="Decoded">The body was decoded into a request.</param>
/// <param name="Routed">The router returned the answer.</param>
internal readonly record struct TimingStages(long Started, long Read, long Decoded, long Routed);
