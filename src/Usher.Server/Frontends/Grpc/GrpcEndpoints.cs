using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Hosting;

namespace Usher.Server.Frontends.Grpc;

/// <summary>Registers and maps the gRPC services: <c>inference.GRPCInferenceService</c> and <c>grpc.health.v1.Health</c>.</summary>
internal static class GrpcEndpoints
{
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
        return services;
    }

    public static void MapUsherGrpc(this IEndpointRouteBuilder routes)
    {
        routes.MapGrpcService<InferenceService>();
        routes.MapGrpcHealthChecksService();
    }
}
