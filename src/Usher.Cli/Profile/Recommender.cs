namespace Usher.Cli.Profile;

/// <summary>Picks the configuration to run for a latency objective.</summary>
internal static class Recommender
{
    /// <summary>
    /// The share of the SLO a recommendation keeps free by default: its profiled p99 is at most 70%
    /// of the objective. A point whose profiled p99 sits just under the SLO measures above it about
    /// half the time when served; the quiet rightsize run of 2026-12-04 measured served p99s from
    /// 0.76x to 1.36x the profile's (fraud on 2 cores: 14.83 ms profiled, 20.21 ms served against a
    /// 20 ms SLO), and 1 / 1.36 = 0.74 rounds down to 0.7.
    /// </summary>
    public const double DefaultSloHeadroom = 0.3;

    /// <summary>The point <see cref="Choose"/> picks, or null when none meets the objective.</summary>
    public static PointMeasurement? Pick(IEnumerable<PointMeasurement> points, double? sloP99Ms, double headroom = DefaultSloHeadroom)
        => Choose(points, sloP99Ms, headroom)?.Point;

    /// <summary>
    /// Among the usable points whose p99 is within <paramref name="sloP99Ms"/> less
    /// <paramref name="headroom"/> (a share of it, 0 to below 1), or, when none is, within the SLO
    /// itself (<see cref="KeepsHeadroom"/> then says no), or any p99 when the SLO is null: the
    /// fastest, and every point that ties with it, one whose throughput is below the fastest's by no
    /// more than the larger of the two points' measured spreads (<see cref="PointMeasurement.ThroughputSpread"/>;
    /// 0 for a point measured once). Of the tied points, the model's own configuration (the default
    /// point, then a swept point with the same settings), else the fewest resources: fewer cores,
    /// fewer instances, a smaller batch, less memory; then the higher throughput and the lower p99.
    /// So the recommendation differs from the default only when the runs show a difference.
    /// Null when no point meets the objective.
    /// </summary>
    public static Recommendation? Choose(IEnumerable<PointMeasurement> points, double? sloP99Ms, double headroom = DefaultSloHeadroom)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(headroom, 1);
        var all = points.ToList();
        var usable = all.Where(p => p.IsUsable).ToList();
        if (sloP99Ms is not { } slo)
        {
            return Best(usable, all);
        }

        return Best([.. usable.Where(p => p.P99Ms <= Limit(slo, headroom))], all) ?? Best([.. usable.Where(p => p.P99Ms <= slo)], all);
    }

    /// <summary>
    /// The points worth measuring again before choosing: the default (what a recommendation is
    /// compared with), and the <paramref name="count"/> fastest usable points within the SLO less its
    /// headroom and within the SLO itself (within any p99 without one), since a repeat can move a
    /// point across either line. In the order given.
    /// </summary>
    public static IReadOnlyList<PointMeasurement> Contenders(IReadOnlyList<PointMeasurement> points, double? sloP99Ms, double headroom, int count)
    {
        ArgumentNullException.ThrowIfNull(points);
        var usable = points.Where(p => p.IsUsable).ToList();
        IEnumerable<PointMeasurement> Fastest(Func<PointMeasurement, bool> within) => usable.Where(within).OrderByDescending(p => p.Throughput).Take(count);
        var chosen = points.Where(p => p.Config.IsDefault)
            .Concat(sloP99Ms is { } slo ? Fastest(p => p.P99Ms <= Limit(slo, headroom)).Concat(Fastest(p => p.P99Ms <= slo)) : Fastest(_ => true))
            .ToHashSet();
        return [.. points.Where(chosen.Contains)];
    }

    /// <summary>The p99 a point may have to be recommended with the headroom kept: the SLO x (1 - headroom).</summary>
    public static double Limit(double sloP99Ms, double headroom) => sloP99Ms * (1 - headroom);

    /// <summary>Whether <paramref name="point"/> keeps the headroom below the SLO (true without an SLO).</summary>
    public static bool KeepsHeadroom(PointMeasurement point, double? sloP99Ms, double headroom)
    {
        ArgumentNullException.ThrowIfNull(point);
        return sloP99Ms is not { } slo || point.P99Ms <= Limit(slo, headroom);
    }

    /// <summary>Whether <paramref name="point"/> is the default point of <paramref name="points"/>, or has its settings and version.</summary>
    public static bool IsDefaultSettings(PointMeasurement point, IEnumerable<PointMeasurement> points)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(points);
        return point.Config.IsDefault || points.FirstOrDefault(p => p.Config.IsDefault) is { } d && point.Config with { IsDefault = true } == d.Config;
    }

    /// <summary>Whether two points' throughputs differ by no more than the larger of their measured spreads.</summary>
    public static bool Ties(PointMeasurement fastest, PointMeasurement other)
    {
        ArgumentNullException.ThrowIfNull(fastest);
        ArgumentNullException.ThrowIfNull(other);
        return Math.Abs(fastest.Throughput - other.Throughput) <= Math.Max(fastest.ThroughputSpread, other.ThroughputSpread);
    }

    private static Recommendation? Best(List<PointMeasurement> candidates, List<PointMeasurement> all)
    {
        if (candidates.Count == 0)
        {
            return null;
        }

        var fastest = candidates.OrderByDescending(p => p.Throughput).ThenBy(p => p.P99Ms).First();
        var tied = candidates.Where(p => Ties(fastest, p)).OrderByDescending(p => p.Throughput).ToList();
        var point = tied
            .OrderBy(p => p.Config.IsDefault ? 0 : IsDefaultSettings(p, all) ? 1 : 2)
            .ThenBy(p => p.Config.Cores)
            .ThenBy(p => p.Config.Instances)
            .ThenBy(p => p.Config.BatchSize)
            .ThenBy(p => p.Memory.PeakMiB)
            .ThenByDescending(p => p.Throughput)
            .ThenBy(p => p.P99Ms)
            .First();
        return new Recommendation(point, fastest, tied, IsDefaultSettings(point, all));
    }
}
