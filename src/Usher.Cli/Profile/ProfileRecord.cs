using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>
/// <c>usher profile --output json</c>: one record with every measured point, the frontier, the
/// recommendation and the capacity answer, for scripts and for a capacity simulator
/// (docs/optimize.md describes every field).
/// </summary>
internal sealed record ProfileRecord(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("quantized_versions")] IReadOnlyList<long> QuantizedVersions,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("measurement")] MeasurementRecord Measurement,
    [property: JsonPropertyName("base_memory_mib")] double BaseMemoryMiB,
    [property: JsonPropertyName("slo_p99_ms")] double? SloP99Ms,
    [property: JsonPropertyName("target_rps")] double? TargetRps,
    [property: JsonPropertyName("points")] IReadOnlyList<PointRecord> Points,
    [property: JsonPropertyName("default")] string Default,
    [property: JsonPropertyName("frontier")] IReadOnlyList<string> Frontier,
    [property: JsonPropertyName("recommendation")] RecommendationRecord? Recommendation,
    [property: JsonPropertyName("capacity")] CapacityRecord? Capacity)
{
    /// <summary>What every <c>throughput_rps</c> of the record is.</summary>
    public const string ThroughputMeaning =
        "predicted server throughput at the point's concurrency with the client elsewhere: measured when the client ran on other cores, "
        + "else measured x cores / (cores - the client's share), at most cores x 1e6 / server CPU us per answer";

    /// <summary>The record of <paramref name="report"/>.</summary>
    public static ProfileRecord From(ProfileReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var settings = report.Settings;
        var d = report.Default;
        return new ProfileRecord(
            settings.Model,
            report.Version,
            report.QuantizedVersions,
            report.Grid.Cores,
            new MeasurementRecord(
                settings.Warmup.TotalSeconds,
                settings.Duration.TotalSeconds,
                settings.Concurrency,
                settings.Seed,
                settings.Protocol,
                report.Points.Select(p => p.Load?.ClientCores).FirstOrDefault() is { } cores ? "cores " + cores : "shared",
                ThroughputMeaning,
                settings.Repeats),
            Math.Round(report.BaseMiB, 1),
            settings.SloP99Ms,
            settings.TargetRps,
            [.. report.Points.Select(PointRecord.From)],
            d.Config.Id,
            [.. report.Frontier.Select(p => p.Config.Id)],
            report.Choice is { Point: var r } choice
                ? new RecommendationRecord(
                    r.Config.Id,
                    r.Config.Version,
                    settings.SloP99Ms is not null,
                    PointConfigYaml.Section(r.Config),
                    Ratio(r.Throughput, d.Throughput),
                    Ratio(r.P99Ms, d.P99Ms),
                    settings.SloP99Ms is not { } slo || d.P99Ms <= slo,
                    settings.SloP99Ms is null ? null : settings.SloHeadroom,
                    settings.SloP99Ms is { } limit ? Math.Round(Recommender.Limit(limit, settings.SloHeadroom), 3) : null,
                    Recommender.KeepsHeadroom(r, settings.SloP99Ms, settings.SloHeadroom),
                    choice.Fastest.Config.Id,
                    [.. choice.Tied.Select(p => p.Config.Id)],
                    choice.DefaultWithinNoise)
                : null,
            report.Plan is { } plan
                ? new CapacityRecord(
                    plan.TargetRps,
                    plan.SloP99Ms,
                    plan.Replicas,
                    plan.CoresPerReplica,
                    plan.MemoryGiBPerReplica,
                    Math.Round(plan.ReplicaThroughput, 1),
                    CapacityPlan.Utilization,
                    Math.Round(plan.PlannedRpsPerReplica, 1),
                    CapacityPlan.MemoryHeadroom,
                    plan.Describe())
                : null);
    }

    // A default point that answered nothing (0 req/s, NaN p99) has no ratio: infinity and NaN are not JSON.
    private static double? Ratio(double value, double defaultValue)
        => value / defaultValue is var ratio && double.IsFinite(ratio) ? Math.Round(ratio, 3) : null;
}
