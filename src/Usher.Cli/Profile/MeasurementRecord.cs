using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>How every point was measured: closed loop in process, one row per request.</summary>
/// <param name="WarmupSeconds">Load before each point's window, not recorded.</param>
/// <param name="DurationSeconds">Each point's measured window.</param>
/// <param name="Concurrency">Requests in flight when fixed by <c>--concurrency</c>; null: 2 x batch size x instances per point (each point's <c>concurrency</c>).</param>
/// <param name="Seed">Seeds the generated inputs.</param>
internal sealed record MeasurementRecord(
    [property: JsonPropertyName("warmup_seconds")] double WarmupSeconds,
    [property: JsonPropertyName("duration_seconds")] double DurationSeconds,
    [property: JsonPropertyName("concurrency")] int? Concurrency,
    [property: JsonPropertyName("seed")] int Seed);
