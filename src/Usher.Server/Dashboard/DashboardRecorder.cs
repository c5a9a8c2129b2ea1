using Usher.Core.Telemetry;

namespace Usher.Server.Dashboard;

/// <summary>
/// Reads this server's own per-version totals (<see cref="VersionTotals"/>, the ones <c>/metrics</c>
/// exports) and the routed-request totals, counted from <see cref="Start"/>: a start takes a
/// baseline, and each read is the totals now less the baseline. The request path records into the
/// totals once whether or not anybody watches; the dashboard only reads them.
/// </summary>
internal sealed class DashboardRecorder : IDisposable
{
    private readonly UsherMetrics _metrics;
    private readonly Lock _gate = new();
    private Dictionary<VersionTotals, TallySnapshot> _versionBaseline = [];
    private Dictionary<RoutedTotal, long> _routedBaseline = [];
    private bool _listening;

    public DashboardRecorder(UsherMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;
    }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool Listening
    {
        get
        {
            lock (_gate)
            {
                return _listening;
            }
        }
    }

    /// <summary>Starts counting from zero (takes a baseline of the totals now); does nothing when already started.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_listening)
            {
                return;
            }

            _versionBaseline = _metrics.Totals.ToDictionary(t => t, Read);
            _routedBaseline = _metrics.Routed.ToDictionary(r => r, r => r.Count);
            _listening = true;
        }
    }

    /// <summary>Stops; reads go on counting from the last <see cref="Start"/>.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _listening = false;
        }
    }

    /// <summary>Every version's totals since <see cref="Start"/>: those with a request or a batch since then.</summary>
    public IReadOnlyDictionary<(string Model, string Version), TallySnapshot> ReadVersions()
    {
        Dictionary<VersionTotals, TallySnapshot> baseline;
        lock (_gate)
        {
            baseline = _versionBaseline;
        }

        var result = new Dictionary<(string Model, string Version), TallySnapshot>();
        foreach (var totals in _metrics.Totals)
        {
            var now = Read(totals).Minus(baseline.GetValueOrDefault(totals));
            if (now.Requests != 0 || now.Batches.Any(b => b != 0))
            {
                result[(totals.Model, totals.Version)] = now;
            }
        }

        return result;
    }

    /// <summary>Requests routed to each variant of each endpoint since <see cref="Start"/>.</summary>
    public IReadOnlyDictionary<(string Endpoint, string Variant), long> ReadRouted()
    {
        Dictionary<RoutedTotal, long> baseline;
        lock (_gate)
        {
            baseline = _routedBaseline;
        }

        var result = new Dictionary<(string Endpoint, string Variant), long>();
        foreach (var routed in _metrics.Routed)
        {
            var count = routed.Count - baseline.GetValueOrDefault(routed);
            if (count != 0)
            {
                result[(routed.Endpoint, routed.Variant)] = count;
            }
        }

        return result;
    }

    public void Dispose() => Stop();

    private static TallySnapshot Read(VersionTotals totals)
    {
        var latency = new long[totals.RequestDuration.Buckets];
        totals.RequestDuration.Read(latency);
        var batches = new long[totals.BatchSize.Buckets];
        totals.BatchSize.Read(batches);
        return new TallySnapshot(totals.Succeeded, totals.Failed, latency, batches);
    }
}
