using System.Text.Json.Serialization;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// The registry's JSON columns, snake_case like the admin API: <c>labels_json</c> is an object of
/// strings, <c>models_json</c> an array of <c>{"model", "version", "ready"}</c>. The gateway reads them.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IReadOnlyList<ReplicaModel>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(List<ReplicaModel>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ClusterJsonContext : JsonSerializerContext;
