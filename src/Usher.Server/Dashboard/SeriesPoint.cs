namespace Usher.Server.Dashboard;

/// <summary>One version over one sampling interval, ending at <paramref name="At"/>.</summary>
/// <param name="At">The end of the interval.</param>
/// <param name="RequestsPerSecond">Answered and failed requests per second.</param>
/// <param name="ErrorRate">Failed / all requests; null when there were none.</param>
/// <param name="P50Ms">Median latency of the answered requests (ms, interpolated in the histogram's buckets); null when none.</param>
/// <param name="P99Ms">99th percentile latency, likewise.</param>
internal sealed record SeriesPoint(DateTimeOffset At, double RequestsPerSecond, double? ErrorRate, double? P50Ms, double? P99Ms);
