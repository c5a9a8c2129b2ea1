using System.Text.Json.Serialization;

namespace Usher.Cli.Batch;

/// <summary>System.Text.Json source generation for the batch manifest (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(BatchManifest))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
