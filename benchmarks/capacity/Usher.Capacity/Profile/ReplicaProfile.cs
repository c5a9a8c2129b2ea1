using Usher.Capacity.Queueing;

namespace Usher.Capacity.Profile;

/// <summary>
/// What one replica can do, from one point of <c>usher profile --output json</c>.
/// A replica is a queue of instances x batch size servers, each at throughput / (instances x batch)
/// requests per second: at saturation it answers the point's measured throughput, and a request
/// alone takes one full batch's time (an upper bound: a small batch runs faster). Batch formation is
/// not modelled beyond that.
/// </summary>
/// <param name="Model">The profiled model.</param>
/// <param name="Point">The point's id (<c>v1-b32-i2-t1</c>).</param>
/// <param name="ThroughputRps">Measured at saturation, in process.</param>
/// <param name="Instances">Executor instances.</param>
/// <param name="BatchSize">Dynamic batch size (1: no batching).</param>
/// <param name="Cores">Cores per replica (instances x intra-op threads).</param>
/// <param name="P99Ms">The point's p99 at saturation.</param>
/// <param name="SloP99Ms">The profile's SLO, when it had one.</param>
/// <param name="MemoryMiB">Process base plus the point's peak.</param>
internal sealed record ReplicaProfile(
    string Model,
    string Point,
    double ThroughputRps,
    int Instances,
    int BatchSize,
    int Cores,
    double P99Ms,
    double? SloP99Ms,
    double MemoryMiB)
{
    /// <summary>The queue of one replica; <paramref name="throughputFactor"/> scales the throughput (a frontend's cost).</summary>
    public ReplicaQueue Queue(ServiceTimes service, double throughputFactor = 1)
    {
        var servers = Instances * BatchSize;
        return new ReplicaQueue(servers, ThroughputRps * throughputFactor / servers, service);
    }
}
