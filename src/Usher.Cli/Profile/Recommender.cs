namespace Usher.Cli.Profile;

/// <summary>Picks the configuration to run for a latency objective.</summary>
internal static class Recommender
{
    /// <summary>
    /// The usable point with the highest throughput whose p99 is within <paramref name="sloP99Ms"/>
    /// (any p99 when null); of equal throughputs, the one on fewer cores, then with less memory,
    /// then with the lower p99. Null when no point meets the objective.
    /// </summary>
    public static PointMeasurement? Pick(IEnumerable<PointMeasurement> points, double? sloP99Ms)
    {
        ArgumentNullException.ThrowIfNull(points);
        return points
            .Where(p => p.IsUsable && (sloP99Ms is not { } slo || p.P99Ms <= slo))
            .OrderByDescending(p => p.Throughput)
            .ThenBy(p => p.Config.Cores)
            .ThenBy(p => p.Memory.PeakMiB)
            .ThenBy(p => p.P99Ms)
            .FirstOrDefault();
    }
}
