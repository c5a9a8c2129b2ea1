using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Usher.Gateway.Health;

/// <summary>
/// The gateway's own health, <see cref="LivePath"/>: answered here and never forwarded. Every other
/// <c>/v2/</c> path goes to a replica, so a replica's <c>/v2/health/live</c> says nothing about the
/// gateway, and answers 503 through it while no replica is up. It is 200 while the process serves, and
/// serves as the readiness check too: the gateway reads the registry before it listens, and when the
/// shared state cannot be reached later it keeps routing on the registry it last read (as the replicas
/// keep serving), so an outage of the database does not take the gateways out of their Service.
/// </summary>
internal static class GatewayHealth
{
    public const string LivePath = "/gateway/health/live";

    public static void Map(IEndpointRouteBuilder app) => app.MapGet(LivePath, static context =>
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return Task.CompletedTask;
    });
}
