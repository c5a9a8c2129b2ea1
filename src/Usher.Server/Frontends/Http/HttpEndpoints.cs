using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Usher.Server.Access;
using Usher.Server.Admin;

namespace Usher.Server.Frontends.Http;

/// <summary>The Open Inference Protocol's REST routes (docs/protocol.md lists them with their status codes).</summary>
internal static class HttpEndpoints
{
    public static void MapUsherHttp(this IEndpointRouteBuilder routes)
    {
        string[] getOrHead = ["GET", "HEAD"];

        // Inference and metadata need an API key when server.api_keys_file is set; health probes never do.
        routes.MapGet("/v2", MetadataEndpoints.ServerMetadataAsync).RequireApiKey();
        routes.MapMethods("/v2/health/live", getOrHead, HealthEndpoints.LiveAsync);
        routes.MapMethods("/v2/health/ready", getOrHead, HealthEndpoints.ReadyAsync);
        routes.MapGet("/v2/models", MetadataEndpoints.ListModelsAsync).RequireApiKey();
        routes.MapGet("/v2/models/{model}", MetadataEndpoints.ModelMetadataAsync).RequireApiKey();
        routes.MapGet("/v2/models/{model}/versions/{version}", MetadataEndpoints.ModelMetadataAsync).RequireApiKey();
        routes.MapMethods("/v2/models/{model}/ready", getOrHead, HealthEndpoints.ModelReadyAsync);
        routes.MapMethods("/v2/models/{model}/versions/{version}/ready", getOrHead, HealthEndpoints.ModelReadyAsync);
        // The handler takes the application's services rather than HttpContext.RequestServices, whose
        // first use creates (and later disposes) a DI scope per request; every service it needs is a singleton.
        var services = new InferenceServices(routes.ServiceProvider);
        RequestDelegate infer = context => InferenceEndpoint.InferAsync(context, services);
        routes.MapPost("/v2/models/{model}/infer", infer).RequireApiKey();
        routes.MapPost("/v2/models/{model}/versions/{version}/infer", infer).RequireApiKey();
        var digests = new ArtifactDigests();
        // The model file is the model itself: who may copy it is a control decision, guarded like the admin API.
        routes.MapGet("/v2/models/{model}/versions/{version}/artifact", (HttpContext context) => ArtifactEndpoint.GetAsync(context, digests)).RequireAdminAccess().WithMetadata(AuditedReadAttribute.Instance);
        routes.MapPost("/v2/repository/index", RepositoryEndpoints.IndexAsync).RequireApiKey();

        // Loading and unloading change what the server serves: the admin credential guards them (docs/admin-api.md).
        routes.MapPost("/v2/repository/models/{model}/load", RepositoryEndpoints.LoadAsync).RequireAdminAccess();
        routes.MapPost("/v2/repository/models/{model}/unload", RepositoryEndpoints.UnloadAsync).RequireAdminAccess();
    }
}
