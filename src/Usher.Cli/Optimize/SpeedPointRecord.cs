using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>One version at one batch size.</summary>
internal sealed record SpeedPointRecord(
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("rows_per_second")] double RowsPerSecond,
    [property: JsonPropertyName("p50_ms")] double P50Ms,
    [property: JsonPropertyName("p99_ms")] double P99Ms,
    [property: JsonPropertyName("runs")] int Runs);
