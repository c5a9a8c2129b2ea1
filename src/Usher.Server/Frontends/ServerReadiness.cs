using Microsoft.Extensions.Hosting;
using Usher.Core.Repository;
using Usher.Server.Admin;

namespace Usher.Server.Frontends;

/// <summary>
/// Whether the server is ready (every model loaded and serving, the control plane started, so
/// that the admin API answers and route tables are in place, and the warm-up through its own
/// frontends finished), and why not, for every frontend and the gRPC health service.
/// </summary>
internal static class ServerReadiness
{
    /// <summary>Null when ready; otherwise a sentence saying why not.</summary>
    public static string? WhyNotReady(ModelManager models, IHostApplicationLifetime lifetime, ControlPlaneHost controlPlane, FrontendWarmup warmup)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return "the server is shutting down";
        }

        if (!models.InitialLoad.IsCompleted)
        {
            return "the server is loading its models";
        }

        if (!models.IsReady)
        {
            var bad = models.Models.Where(m => !m.IsHealthy).Select(m => $"model '{m.Name}': {m.Reason ?? m.Versions.FirstOrDefault(v => v.Reason is not null)?.Reason ?? "not ready"}");
            return "not every model is ready: " + string.Join("; ", bad);
        }

        if (controlPlane.Controller is null)
        {
            return "the control plane is starting (route tables and rollouts are being restored)";
        }

        if (!warmup.IsFinished)
        {
            return "the server is warming up its request path (server.warmup_seconds)";
        }

        return null;
    }
}
