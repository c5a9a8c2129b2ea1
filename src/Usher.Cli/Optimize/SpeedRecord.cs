using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>Both versions' speed at every batch size measured, and at their best.</summary>
internal sealed record SpeedRecord(
    [property: JsonPropertyName("original")] IReadOnlyList<SpeedPointRecord> Original,
    [property: JsonPropertyName("quantized")] IReadOnlyList<SpeedPointRecord> Quantized,
    [property: JsonPropertyName("original_best_batch")] int OriginalBestBatch,
    [property: JsonPropertyName("quantized_best_batch")] int QuantizedBestBatch);
