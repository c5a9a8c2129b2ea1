using Usher.Gateway.Registry;
using Usher.Gateway.Retries;

namespace Usher.Gateway.Telemetry;

/// <summary>
/// Counts one attempt of a request on a replica (and its failover, if it left its region), once. An
/// answered attempt is counted when its response headers arrive, before its body reaches the client
/// (<see cref="UnavailableResponseTransform"/>), so that a client that reads <c>/metrics</c> right
/// after its answer sees it; an attempt with no answer, when the forwarder returns.
/// </summary>
internal sealed class AttemptRecorder(ReplicaRegistry registry, GatewayMetrics metrics)
{
    /// <param name="request">The request; its attempt is counted once.</param>
    /// <param name="replica">The replica the attempt went to.</param>
    /// <param name="status">The replica's status code, or null when no answer came.</param>
    public void Record(GatewayRequest request, string replica, int? status)
    {
        if (request.AttemptRecorded)
        {
            return;
        }

        request.AttemptRecorded = true;
        var region = Region(replica);
        var outcome = status switch
        {
            null => "error",
            < 300 => "2xx",
            < 400 => "3xx",
            < 500 => "4xx",
            _ => "5xx",
        };
        metrics.Attempted(replica, region, outcome);
        if (request.FailoverFrom is { } from)
        {
            metrics.FailedOver(from, region);
        }
    }

    /// <summary>The region the registry gives <paramref name="replica"/>, or <c>unknown</c>.</summary>
    public string Region(string replica) => registry.Current.Replicas.TryGetValue(replica, out var info) ? info.Region : "unknown";
}
