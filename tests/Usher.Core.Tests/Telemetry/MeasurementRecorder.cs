using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Usher.Core.Telemetry;

namespace Usher.Core.Tests.Telemetry;

/// <summary>Records every measurement of one <see cref="UsherMetrics"/> instance (other instances in the process are ignored).</summary>
internal sealed class MeasurementRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeasurementRecorder(UsherMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Add(i, value, tags));
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Add(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Add(i, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<Recorded> Measurements { get; } = new();

    /// <summary>Runs the observable gauges' callbacks once.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public IReadOnlyList<Recorded> Of(string instrument) => Measurements.Where(m => m.Instrument == instrument).ToList();

    public void Clear() => Measurements.Clear();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new Dictionary<string, string?>();
        foreach (var tag in tags)
        {
            labels[tag.Key] = tag.Value?.ToString();
        }

        Measurements.Enqueue(new Recorded(instrument.Name, value, labels));
    }

    internal sealed record Recorded(string Instrument, double Value, IReadOnlyDictionary<string, string?> Labels);
}
