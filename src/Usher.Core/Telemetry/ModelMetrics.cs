using System.Diagnostics;

namespace Usher.Core.Telemetry;

/// <summary>The instruments of one model version, labelled <c>model</c> and <c>version</c>.</summary>
internal sealed class ModelMetrics : IDisposable
{
    private static readonly KeyValuePair<string, object?> Up = new("direction", "up");
    private static readonly KeyValuePair<string, object?> Down = new("direction", "down");

    private readonly UsherMetrics? _owner;
    private readonly VersionTotals? _totals;
    private readonly TagList _tags;
    private int _disposed;
    private bool _muted;

    /// <summary>Metrics that record nothing: for tests and for embedding without telemetry.</summary>
    public ModelMetrics()
    {
        Tags = [];
    }

    internal ModelMetrics(UsherMetrics owner, VersionTotals totals)
    {
        _owner = owner;
        _totals = totals;
        Tags = totals.Tags;
        _tags = new TagList(Tags);
    }

    /// <summary>The version's running totals (null for metrics that record nothing).</summary>
    internal VersionTotals? Totals => _totals;

    internal KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>
    /// While true the instruments record nothing: the version's warm-up at load, which runs before
    /// the version is published, so no client's request can be muted with it; and the server's warm-up
    /// through its own frontends, which runs before the server reports ready.
    /// </summary>
    internal bool Muted
    {
        get => Volatile.Read(ref _muted);
        set => Volatile.Write(ref _muted, value);
    }

    /// <summary>
    /// Records one request's outcome, once: a few interlocked adds into the version's totals, which
    /// <c>/metrics</c>, the dashboard and (through the response's timings) the rollout analysis read.
    /// </summary>
    public void Record(in RequestObservation observation)
    {
        if (_totals is not null && !Muted)
        {
            _totals.Record(in observation);
        }
    }

    /// <summary>
    /// A batch ran: inference count += <paramref name="batchSize"/>, execution count += 1, batch-size
    /// histogram, and the batch's compute time in the per-execution histogram (the per-request compute
    /// histogram is fed by <see cref="Record"/>, so a batch is not counted twice there).
    /// </summary>
    public void BatchExecuted(int batchSize, TimeSpan compute)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (_totals is not null && !Muted)
        {
            _totals.BatchExecuted(batchSize, compute);
        }
    }

    /// <summary>A prediction-cache miss.</summary>
    public void CacheMiss()
    {
        if (_totals is not null && !Muted)
        {
            _totals.CacheMiss();
        }
    }

    /// <summary>The instance autoscaler added (<paramref name="up"/>) or removed instances.</summary>
    public void InstancesScaled(bool up)
    {
        if (_owner is not null)
        {
            var tags = _tags;
            tags.Add(up ? Up : Down);
            _owner.InstanceScaling.Add(1, in tags);
        }
    }

    /// <summary>
    /// Observable gauges read from the version: queued requests, cache bytes, requests in flight
    /// (holding a lease), and the load signals (instances, utilisation, estimated wait, saturation).
    /// A second call replaces the callbacks. The callbacks run on the exporter's thread at each scrape.
    /// </summary>
    public void Observe(Func<int> pendingRequests, Func<long> cacheBytes, Func<int> inFlight, Func<LoadSignals> load)
    {
        ArgumentNullException.ThrowIfNull(pendingRequests);
        ArgumentNullException.ThrowIfNull(cacheBytes);
        ArgumentNullException.ThrowIfNull(inFlight);
        ArgumentNullException.ThrowIfNull(load);
        if (_owner is null || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _owner.StartObserving(this, new UsherMetrics.GaugeSources(pendingRequests, cacheBytes, inFlight, load));
        // Dispose may have run between the check and the registration; it must win.
        if (Volatile.Read(ref _disposed) != 0)
        {
            _owner.StopObserving(this);
        }
    }

    /// <summary>Stops reporting the observable gauges (the version was retired).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _owner?.StopObserving(this);
        }
    }
}
