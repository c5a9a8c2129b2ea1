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

    // Gauges are one instrument per name whose callback enumerates the live versions; a retired
    // version's ModelMetrics removes itself here and its series stop.
    private readonly ConcurrentDictionary<ModelMetrics, GaugeSources> _observed = new(ReferenceEqualityComparer.Instance);
    private readonly bool _ownsMeter;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of its own.</summary>
    public UsherMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);

        // Counter names leave out "_total": exporters add it (Prometheus convention).
        RequestSuccess = Meter.CreateCounter<long>("usher_inference_request_success", "{request}", "Requests answered successfully.");
        RequestFailure = Meter.CreateCounter<long>("usher_inference_request_failure", "{request}", "Requests that failed, by reason.");
        InferenceCount = Meter.CreateCounter<long>("usher_inference_count", "{inference}", "Inferences run; a batch of n counts n (cache hits excluded).");
        ExecCount = Meter.CreateCounter<long>("usher_inference_exec_count", "{execution}", "Batch executions of the backend.");
        CacheHits = Meter.CreateCounter<long>("usher_cache_hits", "{request}", "Prediction-cache hits.");
        CacheMisses = Meter.CreateCounter<long>("usher_cache_misses", "{request}", "Prediction-cache misses.");
        FaultsInjected = Meter.CreateCounter<long>("usher_faults_injected", "{request}", "Requests given an injected fault, by endpoint, variant and kind (abort or delay).");
        RoutedRequests = Meter.CreateCounter<long>("usher_routed_requests", "{request}", "Requests routed by an endpoint's route table, by endpoint and variant.");
        ShadowRequests = Meter.CreateCounter<long>("usher_shadow_requests", "{request}", "Copies of routed requests for an endpoint's shadow, by endpoint, shadow variant and outcome (mirrored, dropped, failed).");
        ObservationsDropped = Meter.CreateCounter<long>("usher_observations_dropped", "{request}", "Routed requests the control plane's observers never saw because the observation channel was full.");
        RequestLogWritten = Meter.CreateCounter<long>("usher_request_log_written", "{request}", "Sampled requests written to the model's request log, by model.");
        InstanceScaling = Meter.CreateCounter<long>("usher_instance_scaling", "{change}", "Changes of a version's executor instances by its autoscaler, by direction (up, down).");
        RequestLogDropped = Meter.CreateCounter<long>("usher_request_log_dropped", "{request}", "Sampled requests the request log lost, by model: its channel was full, or writing failed.");

        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        BatchSize = Meter.CreateHistogram<int>(
            "usher_batch_size", "{inference}", "Inferences per batch execution.",
            tags: null, new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        RequestDuration = Meter.CreateHistogram<double>(
            "usher_request_duration_seconds", "s", "Time from receiving a request to its response.", tags: null, latency);
        QueueDuration = Meter.CreateHistogram<double>(
            "usher_queue_duration_seconds", "s", "Time a request waited in the queue before its batch ran.", tags: null, latency);
        ComputeDuration = Meter.CreateHistogram<double>(
            "usher_compute_duration_seconds", "s", "Time the backend spent on a request's batch, once per request.", tags: null, latency);
        // Per execution, not per request: a batch of 8 is one observation here and eight above.
        BatchComputeDuration = Meter.CreateHistogram<double>(
            "usher_batch_compute_duration_seconds", "s", "Time the backend took to run one batch, once per execution.", tags: null, latency);
        CacheHitDuration = Meter.CreateHistogram<double>(
            "usher_cache_hit_duration_seconds", "s", "Server-side time of a request answered from the prediction cache.", tags: null, latency);

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

    internal Counter<long> RequestSuccess { get; }

    internal Counter<long> RequestFailure { get; }

    internal Counter<long> InferenceCount { get; }

    internal Counter<long> ExecCount { get; }

    internal Counter<long> CacheHits { get; }

    internal Counter<long> CacheMisses { get; }

    internal Counter<long> FaultsInjected { get; }

    internal Counter<long> RoutedRequests { get; }

    internal Counter<long> ShadowRequests { get; }

    internal Counter<long> ObservationsDropped { get; }

    internal Counter<long> RequestLogWritten { get; }

    internal Counter<long> RequestLogDropped { get; }

    internal Counter<long> InstanceScaling { get; }

    internal Histogram<int> BatchSize { get; }

    internal Histogram<double> RequestDuration { get; }

    internal Histogram<double> QueueDuration { get; }

    internal Histogram<double> ComputeDuration { get; }

    internal Histogram<double> BatchComputeDuration { get; }

    internal Histogram<double> CacheHitDuration { get; }

    /// <summary>The metrics of one model version (labels model, version).</summary>
    public ModelMetrics ForVersion(string model, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return new ModelMetrics(this, model, version);
    }

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
