using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Transports;

namespace Usher.Streaming.Tests.Pipeline;

/// <summary>A broker that goes away mid-run: the pipeline runs the source again and retries acknowledgements, nothing is lost or crashes.</summary>
public sealed class StreamPipelineRecoveryTests
{
    private static readonly StreamSpec Spec = new() { Model = "fraud", Source = "redis://127.0.0.1:1/tx", Sink = "-", MaxBatch = 4, MaxDelay = TimeSpan.Zero, MaxInFlight = 8, RetryBackoff = TimeSpan.Zero };

    [Fact]
    public async Task Run_SourceInterrupted_IsRunAgain_AndAFailedAcknowledgementIsRetried()
    {
        var messages = Enumerable.Range(0, 10).Select(i => ListSource.Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{{\"id\":\"{i}\"}}")).ToList();
        var source = new DroppingSource(messages, dropAfter: 4);
        var sink = new ListSink();
        var scorer = new FuncScorer((_, _) => ValueTask.FromResult(new StreamScore("{}"u8.ToArray(), 1, null)));
        using var metrics = new StreamMetrics();
        using var errors = new BrokerErrorReader();

        await new StreamPipeline(Spec, source, sink, null, scorer, metrics, TimeProvider.System, NullLogger.Instance).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, source.Runs);
        Assert.Equal(messages.Select(m => m.Id).Order(), sink.Answers.Select(a => a.SourceId).Order());
        Assert.Equal(messages.Select(m => m.Id).Order(), source.Acknowledged.Order());
        Assert.Equal(1, errors.Count("read"));
        Assert.Equal(1, errors.Count("acknowledge"));
    }

    [Fact]
    public async Task Run_StoppedWhileTheBrokerIsAway_ReturnsWithoutThrowing()
    {
        var source = new DroppingSource([], dropAfter: 0, dropForever: true);
        var sink = new ListSink();
        var scorer = new FuncScorer((_, _) => ValueTask.FromResult(new StreamScore("{}"u8.ToArray(), 1, null)));
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();

        var run = new StreamPipeline(Spec, source, sink, null, scorer, metrics, TimeProvider.System, NullLogger.Instance).RunAsync(stop.Token);
        await source.Interrupted.WaitAsync(TimeSpan.FromSeconds(30));
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(run.IsCompletedSuccessfully);
        Assert.True(source.Runs >= 1);
    }

    /// <summary>Adds <c>dropAfter</c> messages then loses its broker; run again, it adds the rest and ends. Its first acknowledgement fails.</summary>
    private sealed class DroppingSource(IReadOnlyList<StreamMessage> messages, int dropAfter, bool dropForever = false) : IStreamSource
    {
        private readonly TaskCompletionSource _interrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _next;
        private int _acknowledgements;

        public int Runs;

        public ConcurrentQueue<string> Acknowledged { get; } = new();

        public Task Interrupted => _interrupted.Task;

        public long? Lag => null;

        public async Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
        {
            var run = Interlocked.Increment(ref Runs) - 1;
            inbox.ReportReading();
            while (_next < messages.Count && (run > 0 || _next < dropAfter))
            {
                await inbox.ReserveAsync(1, stopReading);
                inbox.Add(messages[_next++]);
            }

            if (run == 0 || dropForever)
            {
                _interrupted.TrySetResult();
                throw new StreamInterruptedException("the connection dropped");
            }
        }

        public ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> done, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _acknowledgements) == 1)
            {
                throw new InvalidOperationException("No connection is active");
            }

            foreach (var message in done)
            {
                Acknowledged.Enqueue(message.Id);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Counts <c>usher_stream_broker_errors</c> by operation, as an exporter would see them.</summary>
    private sealed class BrokerErrorReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _counts = new();

        public BrokerErrorReader()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "usher_stream_broker_errors")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? operation = null;
                var ours = false;
                foreach (var tag in tags)
                {
                    operation = tag.Key == "operation" ? tag.Value as string : operation;
                    ours |= tag.Key == "source" && Equals(tag.Value, Spec.Source);
                }

                if (ours && operation is not null)
                {
                    _counts.AddOrUpdate(operation, value, (_, n) => n + value);
                }
            });
            _listener.Start();
        }

        public long Count(string operation) => _counts.GetValueOrDefault(operation);

        public void Dispose() => _listener.Dispose();
    }
}
