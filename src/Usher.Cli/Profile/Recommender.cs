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

    /// <summary>
    /// The usable point with the highest throughput whose p99 is within <paramref name="sloP99Ms"/>
    /// less <paramref name="headroom"/> (a share of it, 0 to below 1); when no point is, the one
    /// within the SLO itself (<see cref="KeepsHeadroom"/> then says no). Any p99 when the SLO is null.
    /// Of equal throughputs, the one on fewer cores, then with less memory, then with the lower p99.
    /// Null when no point meets the objective.
    /// </summary>
    public static PointMeasurement? Pick(IEnumerable<PointMeasurement> points, double? sloP99Ms, double headroom = DefaultSloHeadroom)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(headroom, 1);
        var usable = points.Where(p => p.IsUsable).ToList();
        if (sloP99Ms is not { } slo)
        {
            return Best(usable);
        }

        return Best(usable.Where(p => p.P99Ms <= Limit(slo, headroom))) ?? Best(usable.Where(p => p.P99Ms <= slo));
    }

    /// <summary>The p99 a point may have to be recommended with the headroom kept: the SLO x (1 - headroom).</summary>
    public static double Limit(double sloP99Ms, double headroom) => sloP99Ms * (1 - headroom);

    /// <summary>Whether <paramref name="point"/> keeps the headroom below the SLO (true without an SLO).</summary>
    public static bool KeepsHeadroom(PointMeasurement point, double? sloP99Ms, double headroom)
    {
        ArgumentNullException.ThrowIfNull(point);
        return sloP99Ms is not { } slo || point.P99Ms <= Limit(slo, headroom);
    }

    private static PointMeasurement? Best(IEnumerable<PointMeasurement> candidates)
        => candidates
            .OrderByDescending(p => p.Throughput)
            .ThenBy(p => p.Config.Cores)
            .ThenBy(p => p.Memory.PeakMiB)
            .ThenBy(p => p.P99Ms)
            .FirstOrDefault();
}
