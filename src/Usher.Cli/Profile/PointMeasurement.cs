namespace Usher.Cli.Profile;

/// <summary>One measured point of the sweep.</summary>
/// <param name="Config">The configuration.</param>
/// <param name="Concurrency">Requests the closed loop kept in flight.</param>
/// <param name="Throughput">Answered requests (one row each) per second in the measured window.</param>
/// <param name="P50Ms">Median latency, milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency, milliseconds.</param>
/// <param name="Errors">Failed requests in the window (a point with errors is never recommended).</param>
/// <param name="Memory">Footprint and working set.</param>
internal sealed record PointMeasurement(PointConfig Config, int Concurrency, double Throughput, double P50Ms, double P99Ms, long Errors, MemoryFigures Memory)
{
    /// <summary>Whether the point may be on the frontier or recommended: answers, no errors, finite latency.</summary>
    public bool IsUsable => Errors == 0 && Throughput > 0 && double.IsFinite(P99Ms);
}
