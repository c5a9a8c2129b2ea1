using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Usher.Gateway.Health;

/// <summary>
/// Passive health: a replica that could not be reached (connect refused or reset, no answer in time)
/// is taken out at once for the cluster's reactivation period; the active probe of
/// <c>/v2/health/ready</c> keeps it out after that while it stays down. A replica's 503 is not a
/// failure of the replica (it sheds load by design), so it does not count.
/// </summary>
internal sealed class ConnectionFailurePolicy(IDestinationHealthUpdater updater) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "UsherConnectionFailure";

    private static readonly TimeSpan DefaultReactivation = TimeSpan.FromSeconds(30);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (context.Features.Get<IForwarderErrorFeature>()?.Error is ForwarderError.Request or ForwarderError.RequestTimedOut)
        {
            var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivation;
            updater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
        }
    }
}
