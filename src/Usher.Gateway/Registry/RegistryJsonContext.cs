using System.Text.Json.Serialization;
using Usher.ControlPlane.Cluster;

namespace Usher.Gateway.Registry;

/// <summary>
/// The JSON columns of the <c>replicas</c> table: <c>labels_json</c> is an object of strings
/// (<c>{"hw":"gpu"}</c>), <c>models_json</c> an array of <c>{"model":"fraud","version":2,"ready":true}</c>.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<ReplicaModel>))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
