namespace Usher.Cli.Profile;

/// <summary>One measured point of the sweep: a server in this process, loaded by <c>usher bench</c> in another.</summary>
/// <param name="Config">The configuration.</param>
/// <param name="Concurrency">Requests the closed loop kept in flight.</param>
/// <param name="Throughput">
/// The predicted server throughput, answers (one row each) per second, at this concurrency with the
/// client elsewhere (<see cref="ServerLoad.Predicted"/>).
/// </param>
/// <param name="P50Ms">Median latency as the client saw it, milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency, milliseconds.</param>
/// <param name="Errors">Failed requests in the window (a point with errors is never recommended).</param>
/// <param name="Memory">Footprint and working set.</param>
/// <param name="Load">What the run measured: the client's answers per second and the CPU each side spent per answer.</param>
internal sealed record PointMeasurement(PointConfig Config, int Concurrency, double Throughput, double P50Ms, double P99Ms, long Errors, MemoryFigures Memory, ServerLoad? Load = null)
{
    /// <summary>Whether the point may be on the frontier or recommended: answers, no errors, finite latency.</summary>
    public bool IsUsable => Errors == 0 && Throughput > 0 && double.IsFinite(Throughput) && double.IsFinite(P99Ms);
}
