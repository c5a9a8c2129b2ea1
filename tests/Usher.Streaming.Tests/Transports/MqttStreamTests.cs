using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Transports;

/// <summary>MQTT against a real mosquitto: QoS 1 through two consumers of one shared subscription, one restarted.</summary>
public sealed class MqttStreamTests
{
    private static readonly int Count = int.TryParse(Environment.GetEnvironmentVariable("USHER_STREAM_TEST_MQTT_MESSAGES"), out var n) ? n : 2000;

    [SkippableFact]
    public async Task SharedSubscription_TwoConsumersOneRestarted_AnswersEveryMessage()
    {
        await using var broker = await ServerProcess.StartMosquittoAsync();
        var factory = new MqttClientFactory();
        var answers = new ConcurrentBag<string>();
        using var listener = await ListenAsync(factory, broker.Port, answer =>
        {
            if (answer.TryGetProperty("response", out _))
            {
                answers.Add(answer.GetProperty("source_id").GetString()!);
            }
        });

        await using var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
        var scorer = new RouterScorer(models.Router);
        using var metrics = new StreamMetrics();
        StreamSpec Spec(string consumer) => new()
        {
            Model = "fraud",
            Source = $"mqtt://127.0.0.1:{broker.Port}/tx",
            Sink = $"mqtt://127.0.0.1:{broker.Port}/scores",
            Consumer = consumer,
            MaxInFlight = 128,
        };
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var a = StreamRunner.RunAsync(Spec("a"), scorer, metrics, TimeProvider.System, NullLogger.Instance, stopA.Token);
        var b = StreamRunner.RunAsync(Spec("b"), scorer, metrics, TimeProvider.System, NullLogger.Instance, stopB.Token);
        using var producer = factory.CreateMqttClient();
        await producer.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).Build());

        // MQTT drops what is published to a topic nobody subscribes to yet: probe (ids from m1000000)
        // until the shared subscription answers, so the counted messages start with a subscriber there.
        const int FirstProbe = 1_000_000;
        var probe = FirstProbe;
        while (!answers.Any(id => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) >= FirstProbe))
        {
            Assert.True(probe < FirstProbe + 600, "the shared subscription answered no probe within 600 tries");
            await producer.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("tx").WithPayload(Requests.Fraud(probe++))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await WaitAsync(() => !answers.IsEmpty, TimeSpan.FromMilliseconds(100), tolerate: true);
        }
        async Task PublishAsync(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                await producer.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("tx").WithPayload(Requests.Fraud(i))
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            }
        }

        await PublishAsync(0, Count / 2);
        await WaitAsync(() => answers.Count >= Count / 4, TimeSpan.FromSeconds(60));

        // Restart consumer a under its name: its persistent session keeps what it had not acknowledged.
        stopA.Cancel();
        await a.WaitAsync(TimeSpan.FromSeconds(60));
        using var stopA2 = new CancellationTokenSource();
        var a2 = StreamRunner.RunAsync(Spec("a"), scorer, metrics, TimeProvider.System, NullLogger.Instance, stopA2.Token);
        await PublishAsync(Count / 2, Count);

        var expected = Enumerable.Range(0, Count).Select(i => $"m{i}").ToHashSet(StringComparer.Ordinal);
        await WaitAsync(() => expected.IsSubsetOf(answers), TimeSpan.FromSeconds(120), () => Missing(expected, answers));
        stopA2.Cancel();
        stopB.Cancel();
        await Task.WhenAll(a2, b).WaitAsync(TimeSpan.FromSeconds(60));

        var counted = answers.Where(id => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) < FirstProbe).ToList();
        Assert.True(expected.SetEquals(counted.Distinct()), $"{expected.Except(counted).Count()} messages never answered");
        Console.WriteLine($"mqtt: {Count} messages, {counted.Count} answers, {counted.Count - expected.Count} duplicates");
    }

    [SkippableFact]
    public async Task PersistentSession_MessagesQueuedWhileTheConsumerWasDown_AreEachAnsweredOnce()
    {
        await using var broker = await ServerProcess.StartMosquittoAsync();
        var factory = new MqttClientFactory();
        var answers = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var failures = new ConcurrentBag<string>();
        using var listener = await ListenAsync(factory, broker.Port, answer =>
        {
            var id = answer.GetProperty("source_id").GetString()!;
            if (answer.TryGetProperty("response", out var response)
                && response.GetProperty("outputs")[0].GetProperty("data").GetArrayLength() > 0)
            {
                answers.AddOrUpdate(id, 1, (_, n) => n + 1);
            }
            else
            {
                failures.Add(id);
            }
        });

        await using var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
        var scorer = new RouterScorer(models.Router);
        using var metrics = new StreamMetrics();
        var spec = new StreamSpec
        {
            Model = "fraud",
            Source = $"mqtt://127.0.0.1:{broker.Port}/tx",
            Sink = $"mqtt://127.0.0.1:{broker.Port}/scores",
            Consumer = "a",
            MaxInFlight = 64,
        };
        using var producer = factory.CreateMqttClient();
        await producer.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).Build());
        Task PublishAsync(int seed) => producer.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("tx").WithPayload(Requests.Fraud(seed))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        // The consumer's session joins the shared subscription once (a probe answered), then the
        // consumer stops; the broker now queues for that session while nobody is connected.
        const int Probe = 1_000_000;
        using (var stop = new CancellationTokenSource())
        {
            var first = StreamRunner.RunAsync(spec, scorer, metrics, TimeProvider.System, NullLogger.Instance, stop.Token);
            for (var probe = Probe; !answers.Keys.Any(id => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) >= Probe); probe++)
            {
                Assert.True(probe < Probe + 600, "the shared subscription answered no probe within 600 tries");
                await PublishAsync(probe);
                await WaitAsync(() => !answers.IsEmpty, TimeSpan.FromMilliseconds(100), tolerate: true);
            }

            await stop.CancelAsync();
            await first.WaitAsync(TimeSpan.FromSeconds(60));
        }

        // More than the consumer's receive maximum (128: twice its in-flight bound), so the broker has to hold most of them back.
        const int Queued = 500;
        for (var i = 0; i < Queued; i++)
        {
            await PublishAsync(i);
        }

        var expected = Enumerable.Range(0, Queued).Select(i => $"m{i}").ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(expected, answers.ContainsKey);
        using (var stop = new CancellationTokenSource())
        {
            var second = StreamRunner.RunAsync(spec, scorer, metrics, TimeProvider.System, NullLogger.Instance, stop.Token);
            await WaitAsync(() => expected.All(answers.ContainsKey), TimeSpan.FromSeconds(120), () => $"{expected.Count(answers.ContainsKey)} of {Queued} answered");
            await stop.CancelAsync();
            await second.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Empty(failures);
        Assert.All(expected, id => Assert.Equal(1, answers[id]));
    }

    /// <summary>
    /// Packet ids name messages on one connection. Answers are held (their PUBACKs from the broker
    /// delayed), the consumer's connection is dropped with messages in flight, the broker redelivers
    /// them on the next connection; once the answers go through, every PUBACK the consumer sends on a
    /// connection must acknowledge a PUBLISH the broker sent on that connection and not yet
    /// acknowledged. Before the fix, the messages read on the dropped connection were acknowledged on
    /// the new one: each of their ids twice there, the first time before its redelivered copy was answered.
    /// </summary>
    [SkippableFact]
    public async Task Reconnect_MessagesReadOnTheDroppedConnection_AreNotAcknowledgedOnTheNewOne()
    {
        await using var run = await TappedRun.StartAsync(maxInFlight: 32);
        var (sourceTap, sinkTap, answers) = (run.SourceTap, run.SinkTap, run.Answers);
        Task PublishAsync(int seed) => run.PublishAsync(seed);

        // The answers reach the broker, but the sink waits for their PUBACKs: the messages stay unacknowledged.
        sinkTap.HoldReplies();
        const int InFlight = 8;
        var expected = Enumerable.Range(0, InFlight).Select(i => $"m{i}").ToList();
        foreach (var i in Enumerable.Range(0, InFlight))
        {
            await PublishAsync(i);
        }

        await WaitAsync(() => expected.All(answers.ContainsKey), TimeSpan.FromSeconds(60), () => $"{expected.Count(answers.ContainsKey)} of {InFlight} answered");
        var first = sourceTap.Connections;
        sourceTap.Drop();
        await WaitAsync(
            () => sourceTap.Packets.Count(p => p.Connection > first && !p.FromClient && p.Type == MqttTap.Publish && p.PacketId is not null) >= InFlight,
            TimeSpan.FromSeconds(60),
            () => $"{sourceTap.Connections - first} new connection(s); the broker redelivered too few");
        sinkTap.ReleaseReplies();

        // Each message answered twice (once per delivery), and each redelivery acknowledged on the new
        // connection once its answer's PUBACK is back (the answer reaches the probe before the broker's
        // PUBACK reaches the producer: stopping at once could cut that short on a loaded machine).
        await WaitAsync(() => expected.All(id => answers.GetValueOrDefault(id) >= 2), TimeSpan.FromSeconds(60),
            () => string.Join(", ", expected.Select(id => $"{id}: {answers.GetValueOrDefault(id)}")));
        await WaitAsync(
            () => sourceTap.Packets.Count(p => p.Connection > first && p is { FromClient: true, Type: MqttTap.PubAck }) >= InFlight,
            TimeSpan.FromSeconds(60),
            () => $"{sourceTap.Packets.Count(p => p.Connection > first && p is { FromClient: true, Type: MqttTap.PubAck })} PUBACKs after the reconnect, for {InFlight} redelivered messages");
        await run.StopAsync();

        var packets = sourceTap.Packets;
        var wrong = new List<string>();
        foreach (var connection in packets.GroupBy(p => p.Connection))
        {
            var unacknowledged = new Dictionary<int, int>();
            foreach (var packet in connection)
            {
                if (packet is { FromClient: false, Type: MqttTap.Publish, PacketId: { } sent })
                {
                    unacknowledged[sent] = unacknowledged.GetValueOrDefault(sent) + 1;
                }
                else if (packet is { FromClient: true, Type: MqttTap.PubAck, PacketId: { } acked })
                {
                    if (unacknowledged.GetValueOrDefault(acked) == 0)
                    {
                        wrong.Add($"connection {connection.Key}: PUBACK {acked}");
                    }
                    else
                    {
                        unacknowledged[acked]--;
                    }
                }
            }
        }

        Assert.True(wrong.Count == 0, $"PUBACKs for no PUBLISH outstanding on their connection: {string.Join("; ", wrong)}");
        var redelivered = packets.Where(p => p.Connection > first && p is { FromClient: true, Type: MqttTap.PubAck }).ToList();
        Assert.True(redelivered.Count >= InFlight, $"only {redelivered.Count} PUBACKs after the reconnect, for {InFlight} redelivered messages");
    }

    /// <summary>
    /// The broker's window to the consumer (its receive maximum) is twice the in-flight bound, so the
    /// next requests are on hand when room frees, while no more than the bound is being answered.
    /// The answers' PUBACKs are held, so nothing is acknowledged: the broker sends 32 requests to a
    /// consumer whose bound is 16, and exactly 16 are answered until the PUBACKs are let through.
    /// With a window equal to the bound (before), the broker stopped at 16 sent.
    /// </summary>
    [SkippableFact]
    public async Task Window_BrokerSendsTwiceTheInFlightBound_OnlyTheBoundIsAnswered()
    {
        const int Bound = 16;
        await using var run = await TappedRun.StartAsync(maxInFlight: Bound);
        var (sourceTap, sinkTap, answers) = (run.SourceTap, run.SinkTap, run.Answers);
        Task PublishAsync(int seed) => run.PublishAsync(seed);

        // The probes' acknowledgements are on their way once their answers came back; from here on the
        // answers' PUBACKs are held, so no request is acknowledged.
        await WaitAsync(() => Outstanding(sourceTap) == 0, TimeSpan.FromSeconds(60), () => $"{Outstanding(sourceTap)} probe(s) not acknowledged");
        sinkTap.HoldReplies();
        const int Published = 3 * Bound;
        var expected = Enumerable.Range(0, Published).Select(i => $"m{i}").ToList();
        foreach (var i in Enumerable.Range(0, Published))
        {
            await PublishAsync(i);
        }

        await WaitAsync(() => Outstanding(sourceTap) >= 2 * Bound && expected.Count(answers.ContainsKey) >= Bound, TimeSpan.FromSeconds(60),
            () => $"{Outstanding(sourceTap)} requests sent by the broker and not acknowledged (expected {2 * Bound}); {expected.Count(answers.ContainsKey)} answered");
        Assert.Equal(2 * Bound, Outstanding(sourceTap));
        Assert.Equal(Bound, expected.Count(answers.ContainsKey));

        sinkTap.ReleaseReplies();
        await WaitAsync(() => expected.All(answers.ContainsKey), TimeSpan.FromSeconds(60), () => $"{expected.Count(answers.ContainsKey)} of {Published} answered");
        await run.StopAsync();
        Assert.All(expected, id => Assert.Equal(1, answers[id]));
    }

    /// <summary>
    /// One consumer of <c>fraud</c> between two <see cref="MqttTap"/> relays on one mosquitto (requests on
    /// <c>tx</c> through the source tap, answers on <c>scores</c> through the sink tap), a producer, and a
    /// listener counting answers by source id; started once a probe has been answered, so the shared
    /// subscription is in place.
    /// </summary>
    private sealed class TappedRun : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _owned = [];
        private readonly List<IDisposable> _disposables = [];
        private readonly CancellationTokenSource _stop = new();
        private IMqttClient _producer = null!;
        private Task _consumer = Task.CompletedTask;

        public MqttTap SourceTap { get; private set; } = null!;

        public MqttTap SinkTap { get; private set; } = null!;

        public ConcurrentDictionary<string, int> Answers { get; } = new(StringComparer.Ordinal);

        public static async Task<TappedRun> StartAsync(int maxInFlight)
        {
            var run = new TappedRun();
            try
            {
                await run.OpenAsync(maxInFlight);
                return run;
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }
        }

        public Task PublishAsync(int seed) => _producer.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("tx").WithPayload(Requests.Fraud(seed))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        /// <summary>Stops the consumer (a graceful drain) and waits for it.</summary>
        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _consumer.WaitAsync(TimeSpan.FromSeconds(60));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _consumer.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(_ => { }, TaskScheduler.Default);
            for (var i = _disposables.Count - 1; i >= 0; i--)
            {
                _disposables[i].Dispose();
            }

            for (var i = _owned.Count - 1; i >= 0; i--)
            {
                await _owned[i].DisposeAsync();
            }

            _stop.Dispose();
        }

        private async Task OpenAsync(int maxInFlight)
        {
            var broker = await ServerProcess.StartMosquittoAsync();
            _owned.Add(broker);
            _owned.Add(SourceTap = MqttTap.Start(broker.Port));
            _owned.Add(SinkTap = MqttTap.Start(broker.Port));
            var factory = new MqttClientFactory();
            _disposables.Add(await ListenAsync(factory, broker.Port, answer =>
            {
                if (answer.TryGetProperty("response", out _))
                {
                    Answers.AddOrUpdate(answer.GetProperty("source_id").GetString()!, 1, (_, n) => n + 1);
                }
            }));
            var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
            _owned.Add(models);
            var metrics = new StreamMetrics();
            _disposables.Add(metrics);
            var spec = new StreamSpec
            {
                Model = "fraud",
                Source = $"mqtt://127.0.0.1:{SourceTap.Port}/tx",
                Sink = $"mqtt://127.0.0.1:{SinkTap.Port}/scores",
                Consumer = "a",
                MaxInFlight = maxInFlight,
            };
            _consumer = StreamRunner.RunAsync(spec, new RouterScorer(models.Router), metrics, TimeProvider.System, NullLogger.Instance, _stop.Token);
            _producer = factory.CreateMqttClient();
            _disposables.Add(_producer);
            await _producer.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).Build());

            const int Probe = 1_000_000;
            for (var probe = Probe; Answers.IsEmpty; probe++)
            {
                Assert.True(probe < Probe + 600, "the shared subscription answered no probe within 600 tries");
                await PublishAsync(probe);
                await WaitAsync(() => !Answers.IsEmpty, TimeSpan.FromMilliseconds(100), tolerate: true);
            }
        }
    }

    /// <summary>PUBLISHes the broker sent on the tap's connections less the client's PUBACKs.</summary>
    private static int Outstanding(MqttTap tap)
    {
        var packets = tap.Packets;
        return packets.Count(p => p is { FromClient: false, Type: MqttTap.Publish, PacketId: not null })
            - packets.Count(p => p is { FromClient: true, Type: MqttTap.PubAck });
    }

    /// <summary>A client subscribed to the answers' topic <c>scores</c> at QoS 1, handing each answer's JSON to <paramref name="onAnswer"/>.</summary>
    private static async Task<IMqttClient> ListenAsync(MqttClientFactory factory, int port, Action<JsonElement> onAnswer)
    {
        var listener = factory.CreateMqttClient();
        listener.ApplicationMessageReceivedAsync += e =>
        {
            using var json = JsonDocument.Parse(e.ApplicationMessage.Payload.ToArray());
            onAnswer(json.RootElement);
            return Task.CompletedTask;
        };
        await listener.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).Build());
        await listener.SubscribeAsync(factory.CreateSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic("scores").WithAtLeastOnceQoS()).Build());
        return listener;
    }

    private static string Missing(HashSet<string> expected, ConcurrentBag<string> answers)
    {
        var missing = expected.Except(answers).Select(id => int.Parse(id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        return $"{missing.Count} never answered ({string.Join(", ", missing.Take(20).Select(i => $"m{i}"))}{(missing.Count > 20 ? ", ..." : "")}); {answers.Count} answers";
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan limit, Func<string>? detail = null, bool tolerate = false)
    {
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (tolerate && DateTime.UtcNow >= until)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < until, $"not reached within {limit}{(detail is null ? "" : ": " + detail())}");
            await Task.Delay(50);
        }
    }
}
