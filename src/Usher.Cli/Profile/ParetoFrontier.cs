namespace Usher.Cli.Profile;

/// <summary>The points no other point beats on both throughput (higher) and p99 latency (lower).</summary>
internal static class ParetoFrontier
{
    /// <summary>
    /// The usable points that no other usable point dominates, by p99 ascending (so throughput
    /// ascending too). Of points with equal throughput and p99, the first one given is kept.
    /// </summary>
    public static IReadOnlyList<PointMeasurement> Of(IEnumerable<PointMeasurement> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var frontier = new List<PointMeasurement>();
        var best = double.NegativeInfinity;

        // Walking from the lowest p99 up (the higher throughput first at equal p99), a point is
        // dominated exactly when an earlier one already reached its throughput.
        foreach (var point in points.Where(p => p.IsUsable).OrderBy(p => p.P99Ms).ThenByDescending(p => p.Throughput))
        {
            if (point.Throughput > best)
            {
                frontier.Add(point);
                best = point.Throughput;
            }
        }

        return frontier;
    }
}
