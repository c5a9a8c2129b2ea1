using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Usher.Core.Repository;
using Usher.Server.Admin;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Liveness and readiness: 200 with <c>{"live": true}</c> / <c>{"ready": true}</c> when true, 503
/// with <c>{"error": ...}</c> saying why when false (Kubernetes treats any status ≥ 400 as failure).
/// </summary>
internal static class HealthEndpoints
{
    public static Task LiveAsync(HttpContext context)
        => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("live", true);
            w.WriteEndObject();
        });

    public static Task ReadyAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        var why = ServerReadiness.WhyNotReady(models, lifetime, context.RequestServices.GetRequiredService<ControlPlaneHost>(), context.RequestServices.GetRequiredService<FrontendWarmup>());
        return why is null
            ? JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ready", true);
                w.WriteEndObject();
            })
            : HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, why);
    }

    public static Task ModelReadyAsync(HttpContext context)
    {
        var models = context.RequestServices.GetRequiredService<ModelManager>();
        var resolved = ModelRoute.Resolve(context, models);
        if (!resolved.IsSuccess)
        {
            return HttpErrors.WriteAsync(context, resolved.Error);
        }

        var (entry, slot) = resolved.Value;
        var name = entry.Name;

        // A version registered under the memory budget is ready too: its first request loads it.
        if (slot is { State: ModelState.Ready } or { OnDemand: true })
        {
            return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteBoolean("ready", true);
                w.WriteEndObject();
            });
        }

        return HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ModelLookup.NotReadyReason(entry, slot));
    }
}
