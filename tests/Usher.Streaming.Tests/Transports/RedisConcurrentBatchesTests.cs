using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Transports;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Transports;

/// <summary>
/// Two micro-batches in flight at once, each processed on a thread of its own, against a real
/// redis-server and the real model: a consumer stopped mid-drain answers and acknowledges what it had
/// read, once; no entry is acknowledged before its answer is in the sink stream; what it had not read
/// is answered by the next consumer, and every message exactly once.
/// </summary>
public sealed class RedisConcurrentBatchesTests
{
    private const int Count = 2000;

    // Two batches of 32 in flight (StreamPipeline.BatchSize), the benchmark's setting.
    private const int MaxInFlight = 64;

    [SkippableFact]
    public async Task StopMidDrain_WithBatchesInFlight_AnswersEachReadMessageOnce_AcknowledgesOnlyAfterItsAnswerIsWritten()
    {
        await using var redis = await ServerProcess.StartRedisAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var db = connection.GetDatabase();
        var adds = Enumerable.Range(0, Count).Select(i => db.StreamAddAsync("tx", "request", Requests.Fraud(i))).ToArray();
        var ids = (await Task.WhenAll(adds)).Select(id => id.ToString()).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(32, StreamPipeline.BatchSize(Spec(redis.Port)));

        await using var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
        var acknowledged = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var early = new ConcurrentBag<string>();

        // The first consumer is stopped once a quarter is answered: the drain finishes its batches in flight.
        await RunUntilAsync(redis.Port, models, db, acknowledged, early, Count / 4);
        var afterStop = await AnswersAsync(db);
        Assert.True(afterStop.Count < Count, $"the consumer answered all {Count} before it was stopped: nothing was in flight at the stop");
        Assert.Equal(afterStop.Count, afterStop.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(0, (await db.StreamPendingAsync("tx", "usher")).PendingMessageCount);
        Assert.Equal(afterStop.ToHashSet(StringComparer.Ordinal), acknowledged.Keys.ToHashSet(StringComparer.Ordinal));

        // The second consumer (same name) takes the rest.
        await RunUntilAsync(redis.Port, models, db, acknowledged, early, Count);
        var answers = await AnswersAsync(db);
        Assert.Equal(Count, answers.Count);
        Assert.True(ids.SetEquals(answers), "a message was lost or answered for an id never produced");
        Assert.Empty(early);
        Assert.All(acknowledged.Values, times => Assert.Equal(1, times));
        Assert.Equal(0, (await db.StreamPendingAsync("tx", "usher")).PendingMessageCount);
    }

    /// <summary>Runs a consumer until the sink holds <paramref name="answers"/> entries, stops it and waits for its drain.</summary>
    private static async Task RunUntilAsync(int port, InProcessModels models, IDatabase db, ConcurrentDictionary<string, int> acknowledged, ConcurrentBag<string> early, int answers)
    {
        var spec = Spec(port);
        await using var ends = await StreamEnds.OpenAsync(spec, TimeProvider.System);
        var source = new CheckedSource(ends.Source, db, acknowledged, early);
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var run = new StreamPipeline(spec, source, ends.Sink, null, new RouterScorer(models.Router), metrics, TimeProvider.System, NullLogger.Instance).RunAsync(stop.Token);
        var until = DateTime.UtcNow.AddSeconds(120);
        while (await db.StreamLengthAsync("scores") < answers && !run.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < until, $"fewer than {answers} answers after 120 s");
            await Task.Delay(5);
        }

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private static StreamSpec Spec(int port) => new()
    {
        Model = "fraud",
        Source = $"redis://127.0.0.1:{port}/tx",
        Sink = $"redis://127.0.0.1:{port}/scores",
        Consumer = "c1",
        MaxInFlight = MaxInFlight,
        ClaimIdle = TimeSpan.FromSeconds(30),
    };

    private static async Task<List<string>> AnswersAsync(IDatabase db)
        => (await db.StreamRangeAsync("scores")).Select(e => (string)e["source_id"]!).ToList();

    /// <summary>
    /// The real Redis source, checked at each acknowledgement: every message acknowledged must already
    /// have its answer in the sink stream (read back from Redis), and none acknowledged twice.
    /// </summary>
    private sealed class CheckedSource(IStreamSource inner, IDatabase db, ConcurrentDictionary<string, int> acknowledged, ConcurrentBag<string> early) : IStreamSource
    {
        public long? Lag => inner.Lag;

        public Task RunAsync(MessageInbox inbox, CancellationToken stopReading) => inner.RunAsync(inbox, stopReading);

        public async ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
        {
            var written = (await db.StreamRangeAsync("scores")).Select(e => (string)e["source_id"]!).ToHashSet(StringComparer.Ordinal);
            foreach (var message in messages)
            {
                if (!written.Contains(message.Id))
                {
                    early.Add(message.Id);
                }
            }

            await inner.AcknowledgeAsync(messages, cancellationToken);
            foreach (var message in messages)
            {
                acknowledged.AddOrUpdate(message.Id, 1, (_, times) => times + 1);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
