namespace Usher.Server.Access;

/// <summary>
/// Endpoint metadata: the endpoint serves inference or metadata, so it needs an API key when
/// <c>server.api_keys_file</c> is set, and counts against <c>server.rate_limits</c>. On the REST
/// inference and metadata routes and on the gRPC methods that serve them, where gRPC copies a
/// method's attributes into its endpoint's metadata. Health probes, <c>/metrics</c> and the admin
/// routes do not carry it.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = true)]
internal sealed class ApiAccessAttribute : Attribute
{
    /// <summary>The one instance that routes carry.</summary>
    public static readonly ApiAccessAttribute Instance = new();
}
