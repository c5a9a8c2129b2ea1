using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>
/// One measured point in <see cref="ProfileRecord"/>. <c>throughput_rps</c> is the predicted server
/// throughput (<see cref="ServerLoad.Capacity"/>); <c>server</c> holds the readings it comes from.
/// Of a point measured more than once, the median (<see cref="PointMeasurement.Median"/>), with
/// <c>runs</c> and the runs' ranges.
/// </summary>
internal sealed record PointRecord(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("quantized_from")] long? QuantizedFrom,
    [property: JsonPropertyName("default")] bool IsDefault,
    [property: JsonPropertyName("config")] PointConfigRecord Config,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("throughput_rps")] double ThroughputRps,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p99_ms")] double P99Ms,
    [property: JsonPropertyName("errors")] long Errors,
    [property: JsonPropertyName("memory")] MemoryRecord Memory,
    [property: JsonPropertyName("server")] ServerLoadRecord? Server,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("throughput_range_rps")] IReadOnlyList<double> ThroughputRangeRps,
    [property: JsonPropertyName("p99_range_ms")] IReadOnlyList<double> P99RangeMs)
{
    public static PointRecord From(PointMeasurement p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var c = p.Config;
        return new PointRecord(
            c.Id,
            c.Version,
            c.QuantizedFrom,
            c.IsDefault,
            new PointConfigRecord(c.BatchSize, c.BatchSize > 1, c.Instances, c.IntraOpThreads),
            c.Cores,
            p.Concurrency,
            Rps(p.Throughput),
            Round(p.P50Ms),
            Round(p.P99Ms),
            p.Errors,
            new MemoryRecord(Math.Round(p.Memory.LoadMiB, 1), Math.Round(p.Memory.PeakMiB, 1), Math.Round(p.Memory.PerInstanceMiB, 1)),
            p.Load is { } load ? ServerLoadRecord.From(load) : null,
            p.Spread?.Runs ?? 1,
            p.Spread is { } s ? [Rps(s.ThroughputLow), Rps(s.ThroughputHigh)] : [Rps(p.Throughput), Rps(p.Throughput)],
            p.Spread is { } r ? [Round(r.P99LowMs), Round(r.P99HighMs)] : [Round(p.P99Ms), Round(p.P99Ms)]);
    }

    private static double Rps(double rps) => double.IsFinite(rps) ? Math.Round(rps, 1) : -1;

    // NaN (nothing answered) is not JSON: such a point has errors and reads as -1.
    private static double Round(double ms) => double.IsFinite(ms) ? Math.Round(ms, 4) : -1;
}
