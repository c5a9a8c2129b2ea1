using Usher.Capacity.Hpa;
using Usher.Capacity.Queueing;
using Usher.Capacity.Traffic;

namespace Usher.Capacity.Simulation;

/// <summary>One run of the simulator.</summary>
/// <param name="Name">Its label in reports.</param>
/// <param name="Queue">One replica's queue.</param>
/// <param name="Traffic">The load.</param>
/// <param name="Mode">What scales.</param>
/// <param name="Hpa">The autoscaler (ignored when <paramref name="Mode"/> is <see cref="ScalingMode.Fixed"/>).</param>
/// <param name="InitialReplicas">Ready at second 0.</param>
/// <param name="StartupSeconds">From a pod's creation to its readiness: scheduling, image, process start, model load, readiness probe.</param>
/// <param name="SloP99Ms">The latency objective a minute's p99 is judged against.</param>
/// <param name="MaxQueuePerPod">The server's queue bound (<c>scheduling.max_queue_size</c>, 1024 by default): arrivals beyond it are answered 503 and leave the backlog.</param>
internal sealed record SimulationSettings(
    string Name,
    ReplicaQueue Queue,
    TrafficCurve Traffic,
    ScalingMode Mode,
    HpaSpec? Hpa,
    int InitialReplicas,
    int StartupSeconds,
    double SloP99Ms,
    double MaxQueuePerPod = 1024)
{
    /// <summary>
    /// The stationary queue is evaluated at most at this utilisation; arrivals beyond capacity pile up
    /// as a backlog instead (a stationary queue at rho -> 1 would take hours to form).
    /// </summary>
    public const double MaxStationaryUtilization = 0.98;
}
