namespace CompareReport;

/// <summary>The server's split from Server-Timing, in milliseconds; <see cref="TotalP99"/>: the p99 of its whole time per request (NaN when not reported).</summary>
internal sealed record ServerTime(long Samples, long CacheHits, double OverheadP50, double OverheadP99, double QueueP50, double ComputeP50, double TotalP99 = double.NaN);
