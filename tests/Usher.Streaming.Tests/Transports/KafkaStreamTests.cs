using System.Diagnostics.Metrics;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Tests.Fixtures;
using Usher.Streaming.Tests.Pipeline;
using Usher.Testing;

namespace Usher.Streaming.Tests.Transports;

/// <summary>Kafka against librdkafka's built-in mock cluster (<c>test.mock.num.brokers</c>): real clients, in-process brokers.</summary>
public sealed class KafkaStreamTests
{
    [Fact]
    public async Task MockCluster_AnswersEveryMessage_AndCommitsTheGroupsOffsets()
    {
        const int count = 300;
        var owner = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        owner.Set("test.mock.num.brokers", "1");
        using var producer = new ProducerBuilder<Null, string>(owner).Build();
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        var bootstrap = $"{broker.Host}:{broker.Port}";
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync("tx", new Message<Null, string> { Value = Requests.Fraud(i) });
        }

        await using var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
        var spec = new StreamSpec
        {
            Model = "fraud",
            Source = $"kafka://{bootstrap}/tx?session.timeout.ms=6000",
            Sink = $"kafka://{bootstrap}/scores",
            Consumer = "k1",
        };
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var run = StreamRunner.RunAsync(spec, new RouterScorer(models.Router), metrics, TimeProvider.System, NullLogger.Instance, stop.Token);

        var answered = new HashSet<string>(StringComparer.Ordinal);
        using (var check = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "check", AutoOffsetReset = AutoOffsetReset.Earliest, SessionTimeoutMs = 6000 }).Build())
        {
            check.Subscribe("scores");
            var until = DateTime.UtcNow.AddSeconds(90);
            while (answered.Count < count && DateTime.UtcNow < until)
            {
                ConsumeResult<Ignore, string>? result;
                try
                {
                    result = check.Consume(TimeSpan.FromMilliseconds(200));
                }
                catch (ConsumeException exception) when (exception.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                    // The answers' topic appears with the first answer.
                    continue;
                }

                if (result is { Message: { } message })
                {
                    using var json = JsonDocument.Parse(message.Value);
                    Assert.True(json.RootElement.TryGetProperty("response", out _), message.Value);
                    answered.Add(json.RootElement.GetProperty("source_id").GetString()!);
                }
            }

            check.Close();
        }

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(count, answered.Count);
        Assert.All(answered, id => Assert.StartsWith("tx/", id, StringComparison.Ordinal));

        // Closing the consumer committed what was answered: every partition's committed offset is its end.
        using var group = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "usher" }).Build();
        var partitions = admin.GetMetadata("tx", TimeSpan.FromSeconds(10)).Topics[0].Partitions.Select(p => new TopicPartition("tx", p.PartitionId)).ToList();
        var committed = group.Committed(partitions, TimeSpan.FromSeconds(10));
        Assert.Equal(count, committed.Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value));
    }

    [Fact]
    public async Task MockCluster_LagGauge_CountsOffsetsBehind_ThenFallsToZeroOnceAnswered()
    {
        const int count = 60;
        const int inFlight = 5;
        var owner = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        owner.Set("test.mock.num.brokers", "1");
        using var producer = new ProducerBuilder<Null, string>(owner).Build();
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        var bootstrap = $"{broker.Host}:{broker.Port}";
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync("lagtx", new Message<Null, string> { Value = Requests.Fraud(i) });
        }

        // The first answers wait until released: the source stops at the in-flight bound meanwhile.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = 0;
        var scorer = new FuncScorer(async (_, _) =>
        {
            await release.Task;
            Interlocked.Increment(ref answered);
            return new StreamScore("{}"u8.ToArray(), 1, null);
        });
        var spec = new StreamSpec
        {
            Model = "fraud",
            Source = $"kafka://{bootstrap}/lagtx?session.timeout.ms=6000",
            Sink = $"kafka://{bootstrap}/lagscores",
            Consumer = "lag",
            Group = "lag",
            MaxBatch = inFlight,
            MaxInFlight = inFlight,
        };
        using var metrics = new StreamMetrics();
        using var lag = new LagReader("kafka://" + bootstrap + "/lagtx");
        using var stop = new CancellationTokenSource();
        var run = StreamRunner.RunAsync(spec, scorer, metrics, TimeProvider.System, NullLogger.Instance, stop.Token);

        // Offsets behind = the topic's end minus what the consumer has read (none yet, up to the in-flight bound).
        var behind = await lag.WaitAsync(v => v is not null, run);
        Assert.InRange(behind!.Value, count - inFlight, count);

        release.SetResult();
        var drained = await lag.WaitAsync(v => v == 0, run);
        Assert.Equal(0, drained);
        Assert.Equal(count, Volatile.Read(ref answered));

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Reads <c>usher_stream_lag</c> of one source through a listener, as an exporter would.</summary>
    private sealed class LagReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _source;
        private long? _value;

        public LagReader(string source)
        {
            _source = source;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "usher_stream_lag")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "source" && Equals(tag.Value, _source))
                    {
                        _value = value;
                    }
                }
            });
            _listener.Start();
        }

        /// <summary>Polls the gauge until <paramref name="done"/> holds for its value (a broker's state, not a timer).</summary>
        public async Task<long?> WaitAsync(Func<long?, bool> done, Task run)
        {
            var until = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                _value = null;
                _listener.RecordObservableInstruments();
                if (done(_value))
                {
                    return _value;
                }

                Assert.False(run.IsCompleted, $"the stream stopped: {run.Exception}");
                Assert.True(DateTime.UtcNow < until, $"usher_stream_lag is {_value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} after 90 s");
                await Task.Delay(100);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
