using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Usher.Core.Telemetry;

/// <summary>
/// Every metric instrument of Usher, on the meter <see cref="MeterName"/>. Instruments carry the
/// labels <c>model</c> and <c>version</c>; docs/metrics.md lists the series as Prometheus exports them.
/// </summary>
internal sealed class UsherMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Usher";

    /// <summary>Bucket bounds of the latency histograms, in seconds: 50 µs to 10 s.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
        [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bucket bounds of the batch-size histogram.</summary>
    public static readonly IReadOnlyList<int> BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    /// <summary>
    /// The per-version histograms, written into <c>/metrics</c> from <see cref="VersionTotals"/> (the
    /// exporter has no observable histogram): names, units and bounds as the OpenTelemetry histograms
    /// they replace exported them.
    /// </summary>
    public static readonly IReadOnlyList<HistogramFamily> Histograms =
    [
        new("usher_batch_size", "", "Inferences per batch execution.", [.. BatchSizeBuckets.Select(b => (double)b)], 1, t => t.BatchSize),
        new("usher_request_duration_seconds", "seconds", "Time from receiving a request to its response.", LatencyBuckets, TimeSpan.TicksPerSecond, t => t.RequestDuration),
        new("usher_queue_duration_seconds", "seconds", "Time a request waited in the queue before its batch ran.", LatencyBuckets, TimeSpan.TicksPerSecond, t => t.QueueDuration),
        new("usher_compute_duration_seconds", "seconds", "Time the backend spent on a request's batch, once per request.", LatencyBuckets, TimeSpan.TicksPerSecond, t => t.ComputeDuration),
        // Per execution, not per request: a batch of 8 is one observation here and eight above.
        new("usher_batch_compute_duration_seconds", "seconds", "Time the backend took to run one batch, once per execution.", LatencyBuckets, TimeSpan.TicksPerSecond, t => t.BatchComputeDuration),
        new("usher_cache_hit_duration_seconds", "seconds", "Server-side time of a request answered from the prediction cache.", LatencyBuckets, TimeSpan.TicksPerSecond, t => t.CacheHitDuration),
    ];

    // One totals object per (model, version) for the process's life: a reloaded version counts on
    // where it left off, and a retired one keeps its last values, as counters do.
    private readonly ConcurrentDictionary<(string Model, long Version), VersionTotals> _totals = new();
    private readonly ConcurrentDictionary<(string Endpoint, string Variant), RoutedTotal> _routed = new();
    private readonly ConcurrentDictionary<(string Endpoint, string From, string To, string Reason), FallbackTotal> _fallbacks = new();

    // Gauges are one instrument per name whose callback enumerates the live versions; a retired
    // version's ModelMetrics removes itself here and its series stop.
    private readonly ConcurrentDictionary<ModelMetrics, GaugeSources> _observed = new(ReferenceEqualityComparer.Instance);
    private readonly bool _ownsMeter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of its own.</summary>
    public UsherMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);

        // Counter names leave out "_total": exporters add it (Prometheus convention). The per-request
        // and per-batch counters are observable: read at scrape time from each version's totals.
        Meter.CreateObservableCounter("usher_inference_request_success", () => Count(t => t.Succeeded), "{request}", "Requests answered successfully.");
        Meter.CreateObservableCounter("usher_inference_request_failure", ObserveFailures, "{request}", "Requests that failed, by reason.");
        Meter.CreateObservableCounter("usher_inference_count", () => Count(t => t.Inferences), "{inference}", "Inferences run; a batch of n counts n (cache hits excluded).");
        Meter.CreateObservableCounter("usher_inference_exec_count", () => Count(t => t.Executions), "{execution}", "Batch executions of the backend.");
        Meter.CreateObservableCounter("usher_cache_hits", () => Count(t => t.CacheHits), "{request}", "Prediction-cache hits.");
        Meter.CreateObservableCounter("usher_cache_misses", () => Count(t => t.CacheMisses), "{request}", "Prediction-cache misses.");
        Meter.CreateObservableCounter("usher_routed_requests", ObserveRouted, "{request}", "Requests routed by an endpoint's route table, by endpoint and variant.");
        Meter.CreateObservableCounter("usher_routing_fallbacks", ObserveFallbacks, "{request}", "Routed requests the sticky hash sent to one variant and another served, by endpoint, from, to and reason (missing_inputs: the request lacked inputs the first declares).");
        FaultsInjected = Meter.CreateCounter<long>("usher_faults_injected", "{request}", "Requests given an injected fault, by endpoint, variant and kind (abort or delay).");
        ShadowRequests = Meter.CreateCounter<long>("usher_shadow_requests", "{request}", "Copies of routed requests for an endpoint's shadow, by endpoint, shadow variant and outcome (mirrored, dropped, failed).");
        ObservationsDropped = Meter.CreateCounter<long>("usher_observations_dropped", "{request}", "Routed requests the control plane's observers never saw because the observation channel was full.");
        RequestLogWritten = Meter.CreateCounter<long>("usher_request_log_written", "{request}", "Sampled requests written to the model's request log, by model.");
        InstanceScaling = Meter.CreateCounter<long>("usher_instance_scaling", "{change}", "Changes of a version's executor instances by its autoscaler, by direction (up, down).");
        RequestLogDropped = Meter.CreateCounter<long>("usher_request_log_dropped", "{request}", "Sampled requests the request log lost, by model: its channel was full, or writing failed.");

        Meter.CreateObservableGauge("usher_pending_requests", () => Observe(s => s.PendingRequests()), "{request}",
            "Requests received and not yet executing.");
        Meter.CreateObservableGauge("usher_queue_depth", () => Observe(s => s.PendingRequests()), "{request}",
            "Requests queued for the version's instances and not yet executing.");
        Meter.CreateObservableGauge("usher_in_flight_requests", () => Observe(s => s.InFlight()), "{request}",
            "Requests routed to the version and not yet answered: queued, executing, or in the cache.");
        Meter.CreateObservableGauge("usher_instances", () => Observe(s => s.Load().Instances), "{instance}",
            "Executor instances the version runs now.");
        Meter.CreateObservableGauge("usher_estimated_wait_seconds", () => Observe(s => s.Load().EstimatedWait.TotalSeconds), "s",
            "Queue depth x recent busy time per request / instances.");
        Meter.CreateObservableGauge("usher_saturation", ObserveSaturation, unit: null,
            "Server-wide: the highest version saturation, max(utilisation against the most instances, queue fill), 0 to 1.");
        Meter.CreateObservableGauge("usher_cache_bytes", () => Observe(s => s.CacheBytes()), "By",
            "Bytes held by the version's prediction cache.");
        // No unit on purpose: exporters turn unit "1" on a gauge into a "_ratio" suffix.
        Meter.CreateObservableGauge("usher_instance_utilization", () => Observe(s => s.Load().Utilization), unit: null,
            "Busy time / instance time over the last 10 s or more, 0 to 1.");
    }

    internal Meter Meter { get; }

    internal Counter<long> FaultsInjected { get; }

    internal Counter<long> ShadowRequests { get; }

    internal Counter<long> ObservationsDropped { get; }

    internal Counter<long> RequestLogWritten { get; }

    internal Counter<long> RequestLogDropped { get; }

    internal Counter<long> InstanceScaling { get; }

    /// <summary>The metrics of one model version (labels model, version).</summary>
    public ModelMetrics ForVersion(string model, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return new ModelMetrics(this, _totals.GetOrAdd((model, version), static key => new VersionTotals(key.Model, key.Version)));
    }

    /// <summary>Every version's totals (read at scrape time by <c>/metrics</c> and the dashboard).</summary>
    public IEnumerable<VersionTotals> Totals => _totals.Values;

    /// <summary>Every routed variant's total, by endpoint and variant name.</summary>
    public IEnumerable<RoutedTotal> Routed => _routed.Values;

    /// <summary>The routed-requests total of one variant of one endpoint (one dictionary lookup, nothing allocated once it exists).</summary>
    public RoutedTotal RoutedTo(string endpoint, string variant)
        => _routed.TryGetValue((endpoint, variant), out var found)
            ? found
            : _routed.GetOrAdd((endpoint, variant), static key => new RoutedTotal(key.Endpoint, key.Variant));

    /// <summary>Every endpoint's fallbacks from one variant to another, by reason.</summary>
    public IEnumerable<FallbackTotal> Fallbacks => _fallbacks.Values;

    /// <summary>The total of requests of <paramref name="endpoint"/> hashed to <paramref name="from"/> and served by <paramref name="to"/> for <paramref name="reason"/>.</summary>
    public FallbackTotal FallbackOf(string endpoint, string from, string to, string reason)
        => _fallbacks.GetOrAdd((endpoint, from, to, reason), static key => new FallbackTotal(key.Endpoint, key.From, key.To, key.Reason));

    /// <inheritdoc />
    public void Dispose()
    {
        _observed.Clear();
        // A factory's meters belong to the factory, which disposes them with the container.
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }

    internal void StartObserving(ModelMetrics version, GaugeSources sources) => _observed[version] = sources;

    internal void StopObserving(ModelMetrics version) => _observed.TryRemove(version, out _);

    private IEnumerable<Measurement<long>> Count(Func<VersionTotals, long> read)
    {
        // Only the series a request has touched, as the synchronous counters these replace showed.
        foreach (var totals in _totals.Values)
        {
            var value = read(totals);
            if (value != 0)
            {
                yield return new Measurement<long>(value, totals.Tags);
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveFailures()
    {
        foreach (var totals in _totals.Values)
        {
            foreach (var reason in Enum.GetValues<FailureReason>())
            {
                var value = totals.Failures(reason);
                if (value != 0)
                {
                    yield return new Measurement<long>(value, totals.FailureTags[(int)reason]);
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveRouted()
    {
        foreach (var routed in _routed.Values)
        {
            yield return new Measurement<long>(routed.Count, routed.Tags);
        }
    }

    // Only the pairs that fell back: a table resolves every pair when it is published.
    private IEnumerable<Measurement<long>> ObserveFallbacks()
    {
        foreach (var fallback in _fallbacks.Values)
        {
            if (fallback.Count != 0)
            {
                yield return new Measurement<long>(fallback.Count, fallback.Tags);
            }
        }
    }

    private IEnumerable<Measurement<T>> Observe<T>(Func<GaugeSources, T> read)
        where T : struct
    {
        foreach (var (version, sources) in _observed)
        {
            yield return new Measurement<T>(read(sources), version.Tags);
        }
    }

    // One measurement without labels: a replica is as saturated as its busiest version (an average
    // would hide one hot model among idle ones, and adding replicas is what relieves that model).
    private Measurement<double> ObserveSaturation()
    {
        var highest = 0.0;
        foreach (var (_, sources) in _observed)
        {
            highest = Math.Max(highest, sources.Load().Saturation);
        }

        return new Measurement<double>(highest);
    }

    internal sealed record GaugeSources(Func<int> PendingRequests, Func<long> CacheBytes, Func<int> InFlight, Func<LoadSignals> Load);
}
