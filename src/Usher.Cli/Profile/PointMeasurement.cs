namespace Usher.Cli.Profile;

/// <summary>
/// One point of the sweep: a server in this process, loaded by <c>usher bench</c> in another;
/// measured once, or several times and summarised by <see cref="Median"/>.
/// </summary>
/// <param name="Config">The configuration.</param>
/// <param name="Concurrency">Requests the closed loop kept in flight.</param>
/// <param name="Throughput">
/// The predicted server throughput, answers (one row each) per second, at this concurrency with the
/// client elsewhere (<see cref="ServerLoad.Predicted"/>); of repeated runs, the median.
/// </param>
/// <param name="P50Ms">Median latency as the client saw it, milliseconds (of repeated runs, the median).</param>
/// <param name="P99Ms">99th-percentile latency, milliseconds (of repeated runs, the median).</param>
/// <param name="Errors">Failed requests in the window, of every run (a point with errors is never recommended).</param>
/// <param name="Memory">Footprint and working set.</param>
/// <param name="Load">What the run measured: the client's answers per second and the CPU each side spent per answer.</param>
/// <param name="Spread">The range of the repeated runs; null when the point was measured once.</param>
internal sealed record PointMeasurement(PointConfig Config, int Concurrency, double Throughput, double P50Ms, double P99Ms, long Errors, MemoryFigures Memory, ServerLoad? Load = null, RunSpread? Spread = null)
{
    /// <summary>Whether the point may be on the frontier or recommended: answers, no errors, finite latency.</summary>
    public bool IsUsable => Errors == 0 && Throughput > 0 && double.IsFinite(Throughput) && double.IsFinite(P99Ms);

    /// <summary>How much the point's throughput moved between its runs (0 when it was measured once).</summary>
    public double ThroughputSpread => Spread?.Throughput ?? 0;

    /// <summary>
    /// The runs of one point as one measurement: the median throughput, p50 and p99, each on its own.
    /// Of an even count the less favourable middle: the lower throughput, the higher latency. The
    /// server's readings (<see cref="Load"/>) are those of the run with that throughput, the memory
    /// that of the run with the highest peak, the errors those of every run; a run that failed (no
    /// answers, or errors) makes the whole point fail. <see cref="Spread"/> holds the runs' range.
    /// </summary>
    public static PointMeasurement Median(IReadOnlyList<PointMeasurement> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentOutOfRangeException.ThrowIfZero(runs.Count);
        if (runs.Count == 1)
        {
            return runs[0];
        }

        var middle = (runs.Count - 1) / 2;
        var byThroughput = runs.OrderBy(r => r.Throughput).ToList();
        var median = byThroughput[middle];
        var p99 = runs.Select(r => r.P99Ms).OrderDescending().ElementAt(middle);
        var p50 = runs.Select(r => r.P50Ms).OrderDescending().ElementAt(middle);
        var spread = new RunSpread(runs.Count, byThroughput[0].Throughput, byThroughput[^1].Throughput, runs.Min(r => r.P99Ms), runs.Max(r => r.P99Ms));
        if (runs.FirstOrDefault(r => !r.IsUsable) is { } failed)
        {
            return failed with { Errors = runs.Sum(r => r.Errors), Spread = spread };
        }

        return median with
        {
            P50Ms = p50,
            P99Ms = p99,
            Memory = runs.MaxBy(r => r.Memory.PeakMiB)!.Memory,
            Spread = spread,
        };
    }
}
