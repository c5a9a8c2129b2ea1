namespace Usher.Capacity.Simulation;

/// <summary>What scales the replicas.</summary>
internal enum ScalingMode
{
    /// <summary>No autoscaler: the initial replicas throughout (the ramp check).</summary>
    Fixed,

    /// <summary>An HPA on CPU utilisation (<c>type: Resource</c>, <c>averageUtilization</c>).</summary>
    Cpu,

    /// <summary>An HPA on <c>usher_pending_requests</c> per pod (<c>type: Pods</c>, <c>averageValue</c>, through the Prometheus Adapter).</summary>
    QueueDepth,

    /// <summary>An HPA on requests in flight per pod (waiting and executing: Little's L), a Pods metric like the queue.</summary>
    InFlight,

    /// <summary>Two metrics, queue depth and CPU: the larger recommendation wins.</summary>
    QueueDepthAndCpu,
}
