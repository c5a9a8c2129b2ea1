using System.Globalization;

namespace Usher.Cli.Profile;

/// <summary>
/// Vertical and horizontal right-sizing from one measured point: a replica gets the cores the
/// point's server ran on and its memory with headroom; enough replicas run each at
/// <see cref="Utilization"/> of the throughput the point measured at saturation, so that queues do
/// not build up to the saturated p99.
/// </summary>
/// <param name="TargetRps">The load to serve; null when none was asked (then <see cref="Replicas"/> is null).</param>
/// <param name="SloP99Ms">The latency objective the point meets; null when none was given.</param>
/// <param name="Replicas">Replicas needed for <see cref="TargetRps"/>.</param>
/// <param name="CoresPerReplica">Cores per replica.</param>
/// <param name="MemoryGiBPerReplica">Memory per replica, GiB.</param>
/// <param name="ReplicaThroughput">What one replica was measured to answer per second at saturation.</param>
internal sealed record CapacityPlan(double? TargetRps, double? SloP99Ms, int? Replicas, int CoresPerReplica, double MemoryGiBPerReplica, double ReplicaThroughput)
{
    /// <summary>The share of its measured saturation throughput each replica is planned to carry (30% headroom).</summary>
    public const double Utilization = 0.7;

    /// <summary>Memory headroom over the measured process base plus the point's peak.</summary>
    public const double MemoryHeadroom = 1.25;

    /// <summary>Memory requests are rounded up to this many GiB.</summary>
    public const double MemoryStepGiB = 0.125;

    /// <summary>The planned load per replica: <see cref="ReplicaThroughput"/> x <see cref="Utilization"/>.</summary>
    public double PlannedRpsPerReplica => ReplicaThroughput * Utilization;

    /// <summary>The plan for <paramref name="point"/>; <paramref name="baseMiB"/> is the process's RSS before any model loaded.</summary>
    public static CapacityPlan For(PointMeasurement point, double? targetRps, double? sloP99Ms, double baseMiB)
    {
        ArgumentNullException.ThrowIfNull(point);
        var planned = point.Throughput * Utilization;

        // The epsilon keeps an exact multiple (1,400 req/s at 700 per replica) at 2, not 3.
        int? replicas = targetRps is { } rps ? Math.Max(1, (int)Math.Ceiling((rps / planned) - 1e-9)) : null;
        var gib = (baseMiB + point.Memory.PeakMiB) * MemoryHeadroom / 1024;
        var memory = Math.Ceiling((gib / MemoryStepGiB) - 1e-9) * MemoryStepGiB;
        // A replica gets the cores the point's server ran on: the frontend works beside the instances.
        return new CapacityPlan(targetRps, sloP99Ms, replicas, point.Load?.Cores ?? point.Config.Cores, Math.Max(MemoryStepGiB, memory), point.Throughput);
    }

    /// <summary>The answer in one sentence.</summary>
    public string Describe()
    {
        var latency = SloP99Ms is { } slo ? $" at p99 <= {F(slo, "0.###")} ms" : "";
        var replica = $"{F(CoresPerReplica, "0")} core{(CoresPerReplica == 1 ? "" : "s")} and {F(MemoryGiBPerReplica, "0.###")} GiB";
        return TargetRps is { } rps && Replicas is { } k
            ? $"for {F(rps, "0.##")} req/s{latency} you need {F(k, "0")} replica{(k == 1 ? "" : "s")} of {replica} "
                + $"(each planned at {F(Utilization * 100, "0")}% of its measured {F(ReplicaThroughput, "0")} req/s: {F(PlannedRpsPerReplica, "0")} req/s)"
            : $"one replica of {replica} serves {F(PlannedRpsPerReplica, "0")} req/s{latency} "
                + $"({F(Utilization * 100, "0")}% of its measured {F(ReplicaThroughput, "0")} req/s); pass --target-rps R for a replica count";
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
