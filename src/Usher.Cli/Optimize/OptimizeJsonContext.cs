using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>System.Text.Json source generation for <c>quantization.json</c>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(QuantizationRecord))]
internal sealed partial class OptimizeJsonContext : JsonSerializerContext;
