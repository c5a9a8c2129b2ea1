using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>File sizes of both versions.</summary>
internal sealed record SizeRecord(
    [property: JsonPropertyName("original")] long Original,
    [property: JsonPropertyName("quantized")] long Quantized,
    [property: JsonPropertyName("ratio")] double Ratio);
