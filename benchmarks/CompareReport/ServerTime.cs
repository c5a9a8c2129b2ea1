namespace CompareReport;

/// <summary>The server's split from Server-Timing, in milliseconds.</summary>
internal sealed record ServerTime(long Samples, long CacheHits, double OverheadP50, double OverheadP99, double QueueP50, double ComputeP50);
