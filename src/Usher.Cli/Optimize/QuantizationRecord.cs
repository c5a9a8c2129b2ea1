using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>The <c>quantization.json</c> written beside a quantized version's <c>model.onnx</c>.</summary>
internal sealed record QuantizationRecord(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("source_version")] long SourceVersion,
    [property: JsonPropertyName("version")] long Version,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("kernel")] string? Kernel,
    [property: JsonPropertyName("weight_range")] string? WeightRange,
    [property: JsonPropertyName("ops_changed")] IReadOnlyList<OpChangeRecord> OpsChanged,
    [property: JsonPropertyName("ops_kept")] IReadOnlyDictionary<string, int> OpsKept,
    [property: JsonPropertyName("skipped")] IReadOnlyList<string> Skipped,
    [property: JsonPropertyName("initializers_converted")] int InitializersConverted,
    [property: JsonPropertyName("bytes")] SizeRecord Bytes,
    [property: JsonPropertyName("report")] ReportRecord Report);
