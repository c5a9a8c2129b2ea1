using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Usher.Core.Telemetry;

namespace Usher.Streaming.Telemetry;

/// <summary>
/// The streams' instruments, on Usher's meter (so <c>/metrics</c> exports them beside the models'),
/// labelled by <c>stream</c> (the consumer's endpoint) and <c>source</c> (its address). docs/metrics.md lists them.
/// </summary>
internal sealed class StreamMetrics : IDisposable
{
    private readonly ConcurrentDictionary<Pipeline.StreamPipeline, byte> _pipelines = new();
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public StreamMetrics(IMeterFactory? meterFactory = null)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(UsherMetrics.MeterName) ?? new Meter(UsherMetrics.MeterName);
        In = _meter.CreateCounter<long>("usher_stream_messages_in", "{message}", "Messages read from a stream's source (redeliveries included).");
        Out = _meter.CreateCounter<long>("usher_stream_messages_out", "{message}", "Answers written to a stream's sink.");
        Failed = _meter.CreateCounter<long>("usher_stream_messages_failed", "{attempt}", "Attempts that failed (each retry counts).");
        DeadLettered = _meter.CreateCounter<long>("usher_stream_messages_dead_lettered", "{message}", "Messages written to the dead-letter destination, by reason.");
        BrokerErrors = _meter.CreateCounter<long>("usher_stream_broker_errors", "{error}", "Broker operations that failed and were retried (a dropped connection, a broker restarting), by operation: read, write, acknowledge.");
        Latency = _meter.CreateHistogram("usher_stream_latency_seconds", "s", "From a message's timestamp to its answer written to the sink.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = UsherMetrics.LatencyBuckets });
        _meter.CreateObservableGauge("usher_stream_lag", ObserveLag, "{message}", "Messages waiting for the stream's group: undelivered and pending (Redis), offsets behind (Kafka).");
        _meter.CreateObservableGauge("usher_stream_in_flight", ObserveInFlight, "{message}", "Messages read and not yet acknowledged.");
    }

    public Counter<long> In { get; }

    public Counter<long> Out { get; }

    public Counter<long> Failed { get; }

    public Counter<long> DeadLettered { get; }

    public Counter<long> BrokerErrors { get; }

    public Histogram<double> Latency { get; }

    public void Track(Pipeline.StreamPipeline pipeline) => _pipelines[pipeline] = 0;

    public void Untrack(Pipeline.StreamPipeline pipeline) => _pipelines.TryRemove(pipeline, out _);

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var pipeline in _pipelines.Keys)
        {
            if (pipeline.Lag is long lag)
            {
                yield return new Measurement<long>(lag, pipeline.Labels);
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveInFlight()
    {
        foreach (var pipeline in _pipelines.Keys)
        {
            yield return new Measurement<long>(pipeline.InFlight, pipeline.Labels);
        }
    }
}
