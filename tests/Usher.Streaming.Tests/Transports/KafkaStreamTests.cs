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

        // The lag counts offsets not answered yet: all of them, though up to the in-flight bound are read.
        var behind = await lag.WaitAsync(v => v is not null, run);
        Assert.Equal(count, behind!.Value);

        release.SetResult();
        var drained = await lag.WaitAsync(v => v == 0, run);
        Assert.Equal(0, drained);
        Assert.Equal(count, Volatile.Read(ref answered));

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task BrokerDownAtStart_OpeningFailsFast_NamingTheBroker()
    {
        var port = FreePort.Next();
        var spec = new StreamSpec { Model = "fraud", Source = $"kafka://127.0.0.1:{port}/tx", Sink = "-", Consumer = "k1" };

        var exception = await Assert.ThrowsAsync<Usher.Streaming.Transports.StreamTransportException>(() => StreamEnds.OpenAsync(spec, TimeProvider.System));

        Assert.Contains($"kafka://127.0.0.1:{port}/tx", exception.Message, StringComparison.Ordinal);
        Assert.Contains("cannot connect to Kafka", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokerDownAtStart_UsherStreamExitsTwo_WithTheStreamAndBroker()
    {
        var port = FreePort.Next();
        using var consumer = UsherStreamProcess.Start(
            "fraud", "--source", $"kafka://127.0.0.1:{port}/tx", "--sink", "-", "--model-repository", RepoRoot.Combine("samples", "models"));

        Assert.Equal(2, await consumer.ExitCodeAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains($"usher stream: kafka://127.0.0.1:{port}/tx: cannot connect to Kafka at 127.0.0.1:{port}", consumer.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MockCluster_FullPipelineHeldPastMaxPollInterval_KeepsItsPartitions_AnswersEachMessageOnce()
    {
        const int count = 30;
        const int inFlight = 5;
        var owner = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        owner.Set("test.mock.num.brokers", "1");
        using var producer = new ProducerBuilder<Null, string>(owner).Build();
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        var bootstrap = $"{broker.Host}:{broker.Port}";
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync("polltx", new Message<Null, string> { Value = Requests.Fraud(i) });
        }

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scorer = new FuncScorer(async (_, _) =>
        {
            if (Interlocked.Increment(ref held) == inFlight)
            {
                full.TrySetResult();
            }

            await release.Task;
            return new StreamScore("{}"u8.ToArray(), 1, null);
        });
        var spec = new StreamSpec
        {
            Model = "fraud",
            Source = $"kafka://{bootstrap}/polltx?session.timeout.ms=6000&max.poll.interval.ms=6000",
            Sink = $"kafka://{bootstrap}/pollscores",
            Consumer = "poll",
            Group = "poll",
            MaxBatch = inFlight,
            MaxInFlight = inFlight,
        };
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var run = StreamRunner.RunAsync(spec, scorer, metrics, TimeProvider.System, NullLogger.Instance, stop.Token);
        await full.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // The pipeline stays full for well past max.poll.interval.ms. This waits out librdkafka's own
        // timer (it cannot be given a fake clock): a consumer that stopped polling at the bound would be
        // dropped from the group meanwhile, and fail or get its messages again once released.
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.False(run.IsCompleted, $"the stream stopped while full: {run.Exception}");
        release.SetResult();

        var answers = new List<string>();
        using (var check = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "pollcheck", AutoOffsetReset = AutoOffsetReset.Earliest, SessionTimeoutMs = 6000 }).Build())
        {
            check.Subscribe("pollscores");
            var until = DateTime.UtcNow.AddSeconds(90);
            while (answers.Count < count && DateTime.UtcNow < until)
            {
                try
                {
                    if (check.Consume(TimeSpan.FromMilliseconds(200)) is { Message: { } message })
                    {
                        using var json = JsonDocument.Parse(message.Value);
                        answers.Add(json.RootElement.GetProperty("source_id").GetString()!);
                    }
                }
                catch (ConsumeException exception) when (exception.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                }
            }

            // Anything more (a redelivered duplicate) would arrive soon after the last answer.
            while (check.Consume(TimeSpan.FromSeconds(2)) is { Message: { } extra })
            {
                using var json = JsonDocument.Parse(extra.Value);
                answers.Add(json.RootElement.GetProperty("source_id").GetString()!);
            }

            check.Close();
        }

        Assert.False(run.IsCompleted, $"the stream stopped: {run.Exception}");
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(count, answers.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(count, answers.Count); // kept its partitions: nothing was handed to a new owner and read twice
        Assert.Equal(count, Volatile.Read(ref held));
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
