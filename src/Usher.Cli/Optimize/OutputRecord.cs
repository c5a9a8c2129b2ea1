using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>One output's error.</summary>
internal sealed record OutputRecord(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("max_abs_error")] double MaxAbsError,
    [property: JsonPropertyName("mean_abs_error")] double MeanAbsError,
    [property: JsonPropertyName("relative_l2")] double RelativeL2,
    [property: JsonPropertyName("top1_agreement")] double? Top1Agreement);
