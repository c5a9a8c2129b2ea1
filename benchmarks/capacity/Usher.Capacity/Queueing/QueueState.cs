namespace Usher.Capacity.Queueing;

/// <summary>
/// One second of one replica: the queue it runs, the arrival rate it sees (capped below saturation;
/// the excess is in <paramref name="Delay"/>), the backlog's delay ahead of each new request, and
/// the arrivals the second carried in total (the weight of its latency in a quantile).
/// </summary>
internal readonly record struct QueueState(ReplicaQueue Queue, double Lambda, double Delay, double Arrivals)
{
    public double LatencyTail(double t) => Queue.LatencyTail(Lambda, Delay, t);
}
