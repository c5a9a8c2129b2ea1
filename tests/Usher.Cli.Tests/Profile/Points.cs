using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

/// <summary>Fake measurements for the pure parts of the profiler.</summary>
internal static class Points
{
    public static PointMeasurement Of(double throughput, double p99, int instances = 1, int threads = 1, long errors = 0, double peakMiB = 10, int batch = 1, bool isDefault = false)
        => new(new PointConfig(1, null, batch, instances, threads, isDefault), 2, throughput, p99 / 2, p99, errors, new MemoryFigures(peakMiB / 2, peakMiB, peakMiB / 2 / instances));

    /// <summary>One point measured once per throughput given, at the same p99, as the profile summarises it.</summary>
    public static PointMeasurement Runs(double[] throughputs, double p99, int instances = 1, int threads = 1, int batch = 1, bool isDefault = false)
        => PointMeasurement.Median([.. throughputs.Select(t => Of(t, p99, instances, threads, batch: batch, isDefault: isDefault))]);
}
