using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Usher.Core.Repository;
using Usher.Server.Admin;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Feeds <c>grpc.health.v1.Health</c>: SERVING when the server is ready (every model loaded and
/// serving, the control plane started, the warm-up finished), NOT_SERVING with the reason otherwise; the same test as <c>/v2/health/ready</c>.
/// </summary>
internal sealed class ModelsHealthCheck(ModelManager models, IHostApplicationLifetime lifetime, ControlPlaneHost controlPlane, FrontendWarmup warmup) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var why = ServerReadiness.WhyNotReady(models, lifetime, controlPlane, warmup);
        return Task.FromResult(why is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(why));
    }
}
