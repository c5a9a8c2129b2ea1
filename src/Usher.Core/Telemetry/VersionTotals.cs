using System.Globalization;

namespace Usher.Core.Telemetry;

/// <summary>
/// The running totals of one model version: request outcomes, batches, cache lookups and the
/// histograms of <see cref="UsherMetrics.Histograms"/>, each a field resolved once when the version's
/// <see cref="ModelMetrics"/> is made. A request adds to them with interlocked operations only (no
/// tag lookup, no lock, nothing allocated); <c>/metrics</c> and the dashboard read them at scrape time.
/// </summary>
internal sealed class VersionTotals
{
    /// <summary>The latency buckets in <see cref="TimeSpan"/> ticks (50 µs = 500 ticks: exact).</summary>
    internal static readonly long[] LatencyBounds = [.. UsherMetrics.LatencyBuckets.Select(s => (long)Math.Round(s * TimeSpan.TicksPerSecond))];

    internal static readonly long[] BatchBounds = [.. UsherMetrics.BatchSizeBuckets.Select(b => (long)b)];

    private static readonly string[] ReasonLabels = [.. Enum.GetValues<FailureReason>().Select(r => r.ToString().ToLowerInvariant())];

    private readonly long[] _failures = new long[ReasonLabels.Length];
    private long _succeeded;
    private long _inferences;
    private long _executions;
    private long _cacheHits;
    private long _cacheMisses;

    public VersionTotals(string model, long version)
    {
        Model = model;
        Version = version.ToString(CultureInfo.InvariantCulture);
        Tags = [new("model", Model), new("version", Version)];
        FailureTags = [.. ReasonLabels.Select(r => new KeyValuePair<string, object?>[] { Tags[0], Tags[1], new("reason", r) })];
    }

    public string Model { get; }

    public string Version { get; }

    /// <summary>The labels <c>model</c> and <c>version</c>.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    /// <summary>The labels of the failure counter, per <see cref="FailureReason"/>.</summary>
    public KeyValuePair<string, object?>[][] FailureTags { get; }

    public FixedHistogram RequestDuration { get; } = new(LatencyBounds);

    public FixedHistogram QueueDuration { get; } = new(LatencyBounds);

    public FixedHistogram ComputeDuration { get; } = new(LatencyBounds);

    public FixedHistogram BatchComputeDuration { get; } = new(LatencyBounds);

    public FixedHistogram CacheHitDuration { get; } = new(LatencyBounds);

    public FixedHistogram BatchSize { get; } = new(BatchBounds);

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public long Inferences => Interlocked.Read(ref _inferences);

    public long Executions => Interlocked.Read(ref _executions);

    public long CacheHits => Interlocked.Read(ref _cacheHits);

    public long CacheMisses => Interlocked.Read(ref _cacheMisses);

    /// <summary>Failed requests of one reason.</summary>
    public long Failures(FailureReason reason) => Interlocked.Read(ref _failures[(int)reason]);

    /// <summary>Failed requests, every reason.</summary>
    public long Failed
    {
        get
        {
            long failed = 0;
            for (var i = 0; i < _failures.Length; i++)
            {
                failed += Interlocked.Read(ref _failures[i]);
            }

            return failed;
        }
    }

    /// <summary>Adds one request.</summary>
    public void Record(in RequestObservation observation)
    {
        switch (observation.Outcome)
        {
            case RequestOutcome.Succeeded:
                Interlocked.Increment(ref _succeeded);
                QueueDuration.Record(observation.Queue.Ticks);
                ComputeDuration.Record(observation.Compute.Ticks);
                RequestDuration.Record(observation.Total.Ticks);
                break;
            case RequestOutcome.CacheHit:
                Interlocked.Increment(ref _cacheHits);
                CacheHitDuration.Record(observation.Total.Ticks);
                break;
            default:
                Interlocked.Increment(ref _failures[(int)observation.Reason]);
                break;
        }
    }

    /// <summary>Adds one batch execution of <paramref name="rows"/> inferences.</summary>
    public void BatchExecuted(int rows, TimeSpan compute)
    {
        Interlocked.Add(ref _inferences, rows);
        Interlocked.Increment(ref _executions);
        BatchSize.Record(rows);
        BatchComputeDuration.Record(compute.Ticks);
    }

    /// <summary>Adds one prediction-cache miss.</summary>
    public void CacheMiss() => Interlocked.Increment(ref _cacheMisses);
}
