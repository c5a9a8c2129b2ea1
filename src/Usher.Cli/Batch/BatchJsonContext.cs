using System.Text.Json.Serialization;

namespace Usher.Cli.Batch;

/// <summary>System.Text.Json source generation for the batch manifest's lines (snake_case, one line each).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchManifest))]
[JsonSerializable(typeof(ChunkRecord))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
