using System.Text.Json.Serialization;

namespace Usher.Cli.Optimize;

/// <summary>System.Text.Json source generation for <c>distillation.json</c>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DistillationRecord))]
internal sealed partial class DistillationJsonContext : JsonSerializerContext;
