using System.Diagnostics;
using System.Globalization;

namespace Usher.Core.Telemetry;

/// <summary>The instruments of one model version, labelled <c>model</c> and <c>version</c>.</summary>
internal sealed class ModelMetrics : IDisposable
{
    private static readonly KeyValuePair<string, object?> Up = new("direction", "up");
    private static readonly KeyValuePair<string, object?> Down = new("direction", "down");

    private static readonly string[] ReasonLabels = Enum.GetValues<FailureReason>()
        .Select(r => r.ToString().ToLowerInvariant())
        .ToArray();

    private readonly UsherMetrics? _owner;
    private readonly TagList _tags;
    private int _disposed;
    private bool _muted;

    /// <summary>Metrics that record nothing: for tests and for embedding without telemetry.</summary>
    public ModelMetrics()
    {
        Tags = [];
    }

    internal ModelMetrics(UsherMetrics owner, string model, long version)
    {
        _owner = owner;
        Tags =
        [
            new("model", model),
            new("version", version.ToString(CultureInfo.InvariantCulture)),
        ];
        _tags = new TagList(Tags);
    }

    internal KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>
    /// While true the instruments record nothing: the version's warm-up at load, which runs before
    /// the version is published, so no client's request can be muted with it.
    /// </summary>
    internal bool Muted
    {
        get => Volatile.Read(ref _muted);
        set => Volatile.Write(ref _muted, value);
    }

    /// <summary>A request answered: request, queue and compute durations (histograms), success counter.</summary>
    public void RequestSucceeded(TimeSpan queue, TimeSpan compute, TimeSpan total)
    {
        if (_owner is null || Muted)
        {
            return;
        }

        _owner.RequestSuccess.Add(1, in _tags);
        _owner.QueueDuration.Record(queue.TotalSeconds, in _tags);
        _owner.ComputeDuration.Record(compute.TotalSeconds, in _tags);
        _owner.RequestDuration.Record(total.TotalSeconds, in _tags);
    }

    /// <summary>A request failed, by reason.</summary>
    public void RequestFailed(FailureReason reason)
    {
        if (_owner is null || Muted)
        {
            return;
        }

        var tags = _tags;
        tags.Add("reason", ReasonLabels[(int)reason]);
        _owner.RequestFailure.Add(1, in tags);
    }

    /// <summary>
    /// A batch ran: inference count += <paramref name="batchSize"/>, execution count += 1, batch-size
    /// histogram, and the batch's compute time in the per-execution histogram (the per-request compute
    /// histogram is fed by <see cref="RequestSucceeded"/>, so a batch is not counted twice there).
    /// </summary>
    public void BatchExecuted(int batchSize, TimeSpan compute)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (_owner is null || Muted)
        {
            return;
        }

        _owner.InferenceCount.Add(batchSize, in _tags);
        _owner.ExecCount.Add(1, in _tags);
        _owner.BatchSize.Record(batchSize, in _tags);
        _owner.BatchComputeDuration.Record(compute.TotalSeconds, in _tags);
    }

    /// <summary>A prediction-cache hit, with its server-side duration.</summary>
    public void CacheHit(TimeSpan duration)
    {
        if (_owner is null || Muted)
        {
            return;
        }

        _owner.CacheHits.Add(1, in _tags);
        _owner.CacheHitDuration.Record(duration.TotalSeconds, in _tags);
    }

    /// <summary>A prediction-cache miss.</summary>
    public void CacheMiss()
    {
        if (_owner is not null && !Muted)
        {
            _owner.CacheMisses.Add(1, in _tags);
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
