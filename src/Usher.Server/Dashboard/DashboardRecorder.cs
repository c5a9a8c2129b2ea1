using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Usher.Core.Telemetry;

namespace Usher.Server.Dashboard;

/// <summary>
/// Listens to this server's own <see cref="UsherMetrics"/> instruments (not another server's meter of the
/// same name in the process) and keeps running totals per model version and per routed variant. It
/// listens only between <see cref="Start"/> and <see cref="Stop"/>: while nobody watches the dashboard,
/// the request path pays nothing for it.
/// </summary>
internal sealed class DashboardRecorder : IDisposable
{
    private readonly UsherMetrics _metrics;
    private readonly ConcurrentDictionary<(string Model, string Version), VersionTally> _versions = new();
    private readonly ConcurrentDictionary<(string Endpoint, string Variant), StrongBox<long>> _routed = new();
    private readonly Lock _gate = new();
    private MeterListener? _listener;

    public DashboardRecorder(UsherMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;
    }

    /// <summary>True while listening.</summary>
    public bool Listening => Volatile.Read(ref _listener) is not null;

    /// <summary>Starts listening, from zero totals; does nothing when already listening.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            _versions.Clear();
            _routed.Clear();
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (ReferenceEquals(instrument.Meter, _metrics.Meter) && IsWatched(instrument))
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>(OnLong);
            listener.SetMeasurementEventCallback<int>(OnInt);
            listener.SetMeasurementEventCallback<double>(OnDouble);
            listener.Start();
            _listener = listener;
        }
    }

    /// <summary>Stops listening; the totals stay readable until the next <see cref="Start"/>.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _listener?.Dispose();
            _listener = null;
        }
    }

    /// <summary>Every version's totals now.</summary>
    public IReadOnlyDictionary<(string Model, string Version), TallySnapshot> ReadVersions()
        => _versions.ToDictionary(p => p.Key, p => p.Value.Read());

    /// <summary>Requests routed to each variant of each endpoint so far.</summary>
    public IReadOnlyDictionary<(string Endpoint, string Variant), long> ReadRouted()
        => _routed.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value));

    public void Dispose() => Stop();

    private bool IsWatched(Instrument instrument)
        => ReferenceEquals(instrument, _metrics.RequestSuccess)
            || ReferenceEquals(instrument, _metrics.RequestFailure)
            || ReferenceEquals(instrument, _metrics.RequestDuration)
            || ReferenceEquals(instrument, _metrics.BatchSize)
            || ReferenceEquals(instrument, _metrics.RoutedRequests);

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (ReferenceEquals(instrument, _metrics.RoutedRequests))
        {
            if (Tag(tags, "endpoint") is { } endpoint && Tag(tags, "variant") is { } variant)
            {
                Interlocked.Add(ref _routed.GetOrAdd((endpoint, variant), static _ => new StrongBox<long>()).Value, value);
            }

            return;
        }

        if (Tally(tags) is not { } tally)
        {
            return;
        }

        if (ReferenceEquals(instrument, _metrics.RequestSuccess))
        {
            tally.Succeeded(value);
        }
        else if (ReferenceEquals(instrument, _metrics.RequestFailure))
        {
            tally.Failed(value);
        }
    }

    private void OnInt(Instrument instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (ReferenceEquals(instrument, _metrics.BatchSize))
        {
            Tally(tags)?.Batch(value);
        }
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (ReferenceEquals(instrument, _metrics.RequestDuration))
        {
            Tally(tags)?.Latency(value);
        }
    }

    private VersionTally? Tally(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Tag(tags, "model") is not { } model || Tag(tags, "version") is not { } version)
        {
            return null;
        }

        return _versions.GetOrAdd((model, version), static key => new VersionTally(key.Model, key.Version));
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
