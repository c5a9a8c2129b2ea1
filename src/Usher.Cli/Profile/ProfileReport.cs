namespace Usher.Cli.Profile;

/// <summary>What a profile found: every point, the frontier, the recommendation and the capacity plan.</summary>
/// <param name="Settings">What was asked.</param>
/// <param name="Version">The version profiled.</param>
/// <param name="QuantizedVersions">Versions quantized from it that were swept too.</param>
/// <param name="Grid">The grid that ran (default batch sizes fitted to the model).</param>
/// <param name="BaseMiB">This process's RSS before any model loaded, MiB (a replica's base, roughly).</param>
/// <param name="Default">The model's own <c>config.yaml</c>, measured the same way.</param>
/// <param name="Points">Every point, the default first; a point measured more than once as its median (<see cref="PointMeasurement.Median"/>).</param>
/// <param name="Frontier">The Pareto frontier of throughput and p99, by p99 ascending.</param>
/// <param name="Choice">The recommendation (<see cref="Recommender.Choose"/>): the point, the fastest eligible one and those tied with it; null when none meets the SLO.</param>
/// <param name="Plan">Right-sizing for the recommended point; null without one.</param>
internal sealed record ProfileReport(
    ProfileSettings Settings,
    long Version,
    IReadOnlyList<long> QuantizedVersions,
    ProfileGrid Grid,
    double BaseMiB,
    PointMeasurement Default,
    IReadOnlyList<PointMeasurement> Points,
    IReadOnlyList<PointMeasurement> Frontier,
    Recommendation? Choice,
    CapacityPlan? Plan)
{
    /// <summary>The point recommended; null when none meets the SLO.</summary>
    public PointMeasurement? Recommended => Choice?.Point;

    /// <summary>Builds the report's conclusions from the measured points.</summary>
    public static ProfileReport Conclude(ProfileSettings settings, long version, IReadOnlyList<long> quantized, ProfileGrid grid, double baseMiB, PointMeasurement defaultPoint, IReadOnlyList<PointMeasurement> points)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var choice = Recommender.Choose(points, settings.SloP99Ms, settings.SloHeadroom);
        var plan = choice is null ? null : CapacityPlan.For(choice.Point, settings.TargetRps, settings.SloP99Ms, baseMiB);
        return new ProfileReport(settings, version, quantized, grid, baseMiB, defaultPoint, points, ParetoFrontier.Of(points), choice, plan);
    }
}
