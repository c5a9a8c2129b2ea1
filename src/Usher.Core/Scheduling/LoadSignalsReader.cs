using Usher.Core.Telemetry;

namespace Usher.Core.Scheduling;

/// <summary>
/// Turns a batcher's queue and <see cref="InstanceLoad"/> into the autoscaling signals, at scrape time:
/// <list type="bullet">
/// <item>estimated wait = queue depth × recent busy time per request / instances;</item>
/// <item>saturation = max(u, q), 0 to 1, where u is the window's busy time against the most instances
/// the version may run (its current count, or the autoscaler's upper bound: instances it can still add
/// are capacity, not saturation), and q is queue fill: queue depth / min(the queue's bound summed over
/// priority levels, one full round of batches: most instances × max(1, max batch size)).</item>
/// </list>
/// Either term alone means the version takes no more load without waiting: u = 1 when every instance
/// was busy the whole window; q = 1 when a new request waits behind at least a full round of batches,
/// or would find the queue full. Utilisation alone stays at 1 however long the backlog grows, and
/// queue depth alone stays near 0 until every instance is busy (a lone request runs at once): the
/// maximum rises with load from the first request and reaches 1 at either limit.
/// </summary>
internal sealed class LoadSignalsReader
{
    private readonly DynamicBatcher _batcher;
    private readonly int _mostInstances;
    private readonly long _queueBound;

    public LoadSignalsReader(DynamicBatcher batcher, int mostInstances)
    {
        _batcher = batcher;
        _mostInstances = mostInstances;
        _queueBound = batcher.Settings.Policies.Sum(p => (long)p.MaxQueueSize);
    }

    public LoadSignals Read()
    {
        var reading = _batcher.Load.Read();
        var instances = _batcher.Instances;
        var depth = _batcher.Pending;
        var wait = reading.TimePerRequest * depth / instances;
        var most = Math.Max(instances, _mostInstances);
        var utilisation = reading.Utilization * instances / most;
        var round = (long)most * Math.Max(1, _batcher.Settings.MaxBatchSize);
        var room = Math.Max(1, Math.Min(round, _queueBound));
        var fill = Math.Min(1.0, (double)depth / room);
        return new LoadSignals(instances, reading.Utilization, wait, Math.Max(utilisation, fill));
    }
}
