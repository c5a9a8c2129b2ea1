using System.Diagnostics.Metrics;
using System.Globalization;

namespace Usher.Core.Telemetry;

/// <summary>
/// The memory budget's instruments (docs/metrics.md): the cold start of every load on demand, the
/// evictions, and the budget against what the loaded versions are estimated to take.
/// </summary>
internal sealed class DensityMetrics
{
    /// <summary>Bucket bounds of the load-duration histogram, in seconds: 10 ms to 2 minutes.</summary>
    public static readonly IReadOnlyList<double> LoadBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly Histogram<double> _loadDuration;
    private readonly Counter<long> _evictions;

    /// <summary>Creates the instruments on <paramref name="metrics"/>' meter; the gauges read <paramref name="budgetBytes"/> and <paramref name="usedBytes"/>.</summary>
    public DensityMetrics(UsherMetrics metrics, long budgetBytes, Func<long> usedBytes)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _loadDuration = metrics.Meter.CreateHistogram<double>(
            "usher_model_load_duration_seconds", "s", "Time a version took to load on its first request under the memory budget (the cold start, evictions included).",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = LoadBuckets });
        _evictions = metrics.Meter.CreateCounter<long>("usher_model_evictions", "{version}", "Idle versions unloaded to make room under the memory budget, by model and version.");
        metrics.Meter.CreateObservableGauge("usher_memory_budget_bytes", () => budgetBytes, "By", "The memory budget (server.memory_budget).");
        metrics.Meter.CreateObservableGauge("usher_memory_budget_used_bytes", usedBytes, "By", "The estimated memory of the loaded versions, counted against the budget.");
    }

    /// <summary>Records the cold start of one load on demand.</summary>
    public void Loaded(string model, long version, TimeSpan duration)
        => _loadDuration.Record(duration.TotalSeconds, Tag("model", model), Tag("version", version.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Counts one eviction.</summary>
    public void Evicted(string model, long version)
        => _evictions.Add(1, Tag("model", model), Tag("version", version.ToString(CultureInfo.InvariantCulture)));

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);
}
