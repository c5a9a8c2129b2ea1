using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Usher.Gateway.Configuration;
using Usher.Gateway.Hosting;
using Usher.Gateway.Registry;
using Usher.Gateway.Retries;
using Usher.Gateway.Telemetry;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Usher.Gateway.Routing;

/// <summary>
/// In YARP's proxy pipeline, before load balancing: narrows the cluster's available destinations
/// (those its health checks allow) to the replicas that fit the request (<see cref="ReplicaChoice"/>),
/// or answers 503 naming the model and why none fits.
/// </summary>
internal sealed partial class ReplicaChoiceMiddleware(
    RequestDelegate next,
    ReplicaRegistry registry,
    GatewayOptions options,
    IProxyStateLookup lookup,
    GatewayMetrics metrics,
    ILogger<ReplicaChoiceMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Features.Get<GatewayRequest>()
            ?? throw new InvalidOperationException("the retry middleware runs before the choice");
        var cluster = context.GetRouteModel().Cluster
            ?? throw new InvalidOperationException("a gateway route without a cluster");
        var healthy = cluster.DestinationsState.AvailableDestinations;

        // A gRPC destination is as healthy as the same replica's REST destination, which the active probe checks.
        ClusterState? rest = null;
        if (cluster.ClusterId != ReplicaProxyConfigProvider.RestCluster)
        {
            lookup.TryGetCluster(ReplicaProxyConfigProvider.RestCluster, out rest);
        }

        var result = ReplicaChoice.Choose(registry.Current, request.Target, options.Region, id => Available(id, healthy, rest, request));
        if (result.Failure is { } reason)
        {
            var message = request.Tried.Count == 0
                ? result.Message!
                : $"{result.Message}; it failed on replica {string.Join(", ", request.Tried)} already";
            request.MayRetry = false;
            metrics.Unroutable(reason.ToString());
            LogNoReplica(logger, message);
            await GatewayErrors.WriteUnavailableAsync(context, request.Target.Grpc, message).ConfigureAwait(false);
            return;
        }

        request.FailoverFrom = result.FailoverFrom;
        var chosen = new List<DestinationState>(result.Candidates.Count);
        foreach (var destination in healthy)
        {
            foreach (var candidate in result.Candidates)
            {
                if (candidate.Id == destination.DestinationId)
                {
                    chosen.Add(destination);
                    break;
                }
            }
        }

        context.GetReverseProxyFeature().AvailableDestinations = chosen;
        await next(context).ConfigureAwait(false);
    }

    private static bool Available(string id, IReadOnlyList<DestinationState> healthy, ClusterState? rest, GatewayRequest request)
    {
        if (request.Tried.Contains(id))
        {
            return false;
        }

        var found = false;
        foreach (var destination in healthy)
        {
            if (destination.DestinationId == id)
            {
                found = true;
                break;
            }
        }

        if (!found)
        {
            return false;
        }

        return rest is null
            || (rest.Destinations.TryGetValue(id, out var restDestination)
                && restDestination.Health.Active != DestinationHealth.Unhealthy
                && restDestination.Health.Passive != DestinationHealth.Unhealthy);
    }

    [LoggerMessage(EventId = Core.Telemetry.LogEvents.GatewayNoReplica, Level = LogLevel.Information, Message = "503: {Message}")]
    private static partial void LogNoReplica(ILogger logger, string message);
}
