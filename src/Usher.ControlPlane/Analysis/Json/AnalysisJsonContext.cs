using System.Text.Json.Serialization;

namespace Usher.ControlPlane.Analysis.Json;

/// <summary>Source-generated (de)serialization of the analysis payloads, snake_case like the rest of the admin API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AnalysisDto))]
public sealed partial class AnalysisJsonContext : JsonSerializerContext
{
}
