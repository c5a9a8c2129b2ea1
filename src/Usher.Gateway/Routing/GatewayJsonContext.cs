using System.Text.Json.Serialization;

namespace Usher.Gateway.Routing;

/// <summary>The gateway's own JSON (its error answers).</summary>
[JsonSerializable(typeof(ErrorBody))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
