using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Server.Hosting;

namespace Usher.Server.Frontends.Grpc;

/// <summary>Registers and maps the gRPC services: <c>inference.GRPCInferenceService</c> and <c>grpc.health.v1.Health</c>.</summary>
internal static class GrpcEndpoints
{
    /// <summary>The log category of the health-check service that answers <c>grpc.health.v1.Health</c>.</summary>
    internal const string HealthCheckLogCategory = "Microsoft.Extensions.Diagnostics.HealthChecks";

    public static IServiceCollection AddUsherGrpc(this IServiceCollection services, ServerOptions server)
    {
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = server.GrpcMaxMessageBytes;
            o.MaxSendMessageSize = server.GrpcMaxMessageBytes;
            o.EnableDetailedErrors = false;
        });
        if (server.RateLimits is { Any: true })
        {
            services.Configure<GrpcServiceOptions<InferenceService>>(o => o.Interceptors.Add<RateLimitInterceptor>());
        }

        services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false)
            .AddCheck<ModelsHealthCheck>("models");

        // The health-check service logs every NOT_SERVING answer at error level, so each probe of a
        // starting server (loading, warming up) would log a failure. The answer itself says why;
        // what makes a server unready for good (a model that failed to load) is logged where it happens.
        services.AddLogging(logging => logging.AddFilter(HealthCheckLogCategory, LogLevel.None));
        return services;
    }

    public static void MapUsherGrpc(this IEndpointRouteBuilder routes)
    {
        routes.MapGrpcService<InferenceService>();
        routes.MapGrpcHealthChecksService();
    }
}
