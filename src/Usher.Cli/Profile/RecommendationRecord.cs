using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>The recommended point and how it compares with the model's own configuration.</summary>
/// <param name="Point">The point's id.</param>
/// <param name="Version">The version to serve (a quantized one when it won).</param>
/// <param name="ForSlo">True when picked for <c>--slo-p99-ms</c>; false: the highest throughput of all.</param>
/// <param name="ConfigYaml">The keys to put in the model's <c>config.yaml</c>.</param>
/// <param name="ThroughputVsDefault">Its throughput over the default configuration's; null when the default answered nothing.</param>
/// <param name="P99VsDefault">Its p99 over the default configuration's; null when the default answered nothing.</param>
/// <param name="DefaultMeetsSlo">Whether the default configuration's p99 is within the SLO (true without one).</param>
/// <param name="SloHeadroom">The share of the SLO the recommendation was to keep free (<c>--slo-headroom</c>); null without an SLO.</param>
/// <param name="P99LimitMs">The p99 a point needed to keep that headroom: the SLO x (1 - headroom); null without an SLO.</param>
/// <param name="WithinHeadroom">Whether the point's p99 is within that limit; false: no point was, and it is only within the SLO.</param>
/// <param name="Fastest">The id of the eligible point with the highest (median) throughput.</param>
/// <param name="Tied">The ids of the eligible points within the measured spread of the fastest, the fastest first (<see cref="Recommender.Choose"/>).</param>
/// <param name="DefaultWithinNoise">True when the default configuration is recommended because it tied with a faster point.</param>
internal sealed record RecommendationRecord(
    [property: JsonPropertyName("point")] string Point,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("for_slo")] bool ForSlo,
    [property: JsonPropertyName("config_yaml")] string ConfigYaml,
    [property: JsonPropertyName("throughput_vs_default")] double? ThroughputVsDefault,
    [property: JsonPropertyName("p99_vs_default")] double? P99VsDefault,
    [property: JsonPropertyName("default_meets_slo")] bool DefaultMeetsSlo,
    [property: JsonPropertyName("slo_headroom")] double? SloHeadroom,
    [property: JsonPropertyName("p99_limit_ms")] double? P99LimitMs,
    [property: JsonPropertyName("within_headroom")] bool WithinHeadroom,
    [property: JsonPropertyName("fastest")] string Fastest,
    [property: JsonPropertyName("tied")] IReadOnlyList<string> Tied,
    [property: JsonPropertyName("default_within_noise")] bool DefaultWithinNoise);
