namespace Usher.Cli.Profile;

/// <summary>
/// What a point costs in memory, from this process's resident set (RSS), in MiB.
/// </summary>
/// <param name="LoadMiB">The model's footprint: RSS after the version loaded and warmed up, less RSS before.</param>
/// <param name="PeakMiB">The highest RSS sampled under load, less RSS before the load.</param>
/// <param name="PerInstanceMiB">What each executor adds under load: (peak - footprint) / instances, at least 0.</param>
internal sealed record MemoryFigures(double LoadMiB, double PeakMiB, double PerInstanceMiB)
{
    /// <summary>Figures from the three RSS readings, in bytes.</summary>
    public static MemoryFigures From(long before, long loaded, long peak, int instances)
    {
        const double MiB = 1024 * 1024;
        var load = Math.Max(0, loaded - before) / MiB;
        var top = Math.Max(load, Math.Max(0, peak - before) / MiB);
        return new MemoryFigures(load, top, (top - load) / Math.Max(1, instances));
    }
}
