using Microsoft.AspNetCore.Http;
using Usher.Gateway.Registry;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Usher.Gateway.LoadBalancing;

/// <summary>
/// Power of two choices among the replicas the choice left: of two picked at random, the one with
/// the lower reported queue depth plus this gateway's own requests in flight to it (which moves
/// faster than heartbeats).
/// </summary>
internal sealed class QueueDepthPolicy(ReplicaRegistry registry, Random random) : ILoadBalancingPolicy
{
    public const string PolicyName = "UsherQueueDepth";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var count = availableDestinations.Count;
        if (count <= 1)
        {
            return count == 0 ? null : availableDestinations[0];
        }

        var first = random.Next(count);
        var second = random.Next(count - 1);
        if (second >= first)
        {
            second++;
        }

        var a = availableDestinations[first];
        var b = availableDestinations[second];
        return Load(a) <= Load(b) ? a : b;
    }

    private int Load(DestinationState destination) =>
        (registry.Current.Replicas.TryGetValue(destination.DestinationId, out var replica) ? replica.QueueDepth : 0)
        + destination.ConcurrentRequestCount;
}
