using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;

namespace Usher.Streaming.Tests.Pipeline;

public sealed class StreamPipelineTests
{
    private static readonly StreamSpec Spec = new() { Model = "fraud", Source = "-", Sink = "-", MaxBatch = 4, MaxDelay = TimeSpan.Zero, MaxInFlight = 8, MaxAttempts = 3, RetryBackoff = TimeSpan.Zero };

    private static StreamScore Ok(long version = 1) => new("{\"outputs\":[]}"u8.ToArray(), version, null);

    [Fact]
    public async Task Run_WhenAttemptsFail_RetriesThenDeadLettersWithReason()
    {
        var source = new ListSource([ListSource.Message("1", "{\"id\":\"a\"}"), ListSource.Message("2", "{\"id\":\"b\"}")]);
        var sink = new ListSink();
        var dead = new ListSink();
        var scorer = new FuncScorer((id, attempt) => ValueTask.FromResult(
            id == "b" && attempt == 2 ? Ok() : StreamScore.Failed(InferenceError.Unavailable("queue full"))));
        using var metrics = new StreamMetrics();

        await new StreamPipeline(Spec, source, sink, dead, scorer, metrics, TimeProvider.System, NullLogger.Instance).RunAsync(CancellationToken.None);

        Assert.Equal(3, scorer.Calls("a"));
        Assert.Equal(2, scorer.Calls("b"));
        var a = Assert.Single(dead.Answers);
        Assert.Equal(("1", "attempts_exhausted", 3), (a.SourceId, a.Reason, a.Attempts));
        Assert.Contains("queue full", a.Error, StringComparison.Ordinal);
        var b = Assert.Single(sink.Answers);
        Assert.Equal(("2", 2), (b.SourceId, b.Attempts));
        Assert.Equal(["1", "2"], source.Acknowledged.Order());
    }

    [Fact]
    public async Task Run_MalformedInvalidOrUnknownModel_DeadLetteredAtOnceAndFlowContinues()
    {
        var source = new ListSource(
        [
            ListSource.Message("1", "not json"),
            ListSource.Message("2", "{\"id\":\"bad-shape\"}"),
            ListSource.Message("3", "{\"id\":\"nope\",\"model_name\":\"nope\"}"),
            ListSource.Message("4", "{\"id\":\"good\"}"),
            ListSource.Message("5", "{\"id\":\"again\"}", deliveries: 4),
        ]);
        var sink = new ListSink();
        var dead = new ListSink();
        var scorer = new FuncScorer((id, _) => ValueTask.FromResult(id switch
        {
            "bad-shape" => StreamScore.Failed(InferenceError.Invalid("input 'features': expected [-1,30]")),
            "nope" => StreamScore.Failed(InferenceError.NotFound("unknown model 'nope'")),
            _ => Ok(),
        }));
        using var metrics = new StreamMetrics();

        await new StreamPipeline(Spec, source, sink, dead, scorer, metrics, TimeProvider.System, NullLogger.Instance).RunAsync(CancellationToken.None);

        var reasons = dead.Answers.ToDictionary(a => a.SourceId, a => (a.Reason, a.Endpoint));
        Assert.Equal(("malformed", "fraud"), reasons["1"]);
        Assert.Equal(("invalid", "fraud"), reasons["2"]);
        Assert.Equal(("not_found", "nope"), reasons["3"]);

        // Delivered 4 times with max_attempts 3: a message the consumers keep crashing on is not run again.
        Assert.Equal(("attempts_exhausted", "fraud"), reasons["5"]);
        Assert.Equal(0, scorer.Calls("again"));
        Assert.Equal(1, scorer.Calls("bad-shape"));
        Assert.Equal("4", Assert.Single(sink.Answers).SourceId);
        Assert.Equal(5, source.Acknowledged.Count);
        Assert.Equal("not json", AnswerJson.RequestText(reasons.Count > 0 ? dead.Answers.First(a => a.SourceId == "1").Request!.Value : default));
    }

    [Fact]
    public async Task Run_WhenScoringStalls_ReadsNoMoreThanMaxInFlight_ThenDrainsOnStop()
    {
        var messages = Enumerable.Range(0, 100).Select(i => ListSource.Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{{\"id\":\"{i}\"}}")).ToList();
        var source = new ListSource(messages, endWhenRead: false);
        var sink = new ListSink();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var active = 0;
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scorer = new FuncScorer(async (_, _) =>
        {
            if (Interlocked.Increment(ref active) == Spec.MaxInFlight)
            {
                full.TrySetResult();
            }

            await gate.Task;
            return Ok();
        });
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var pipeline = new StreamPipeline(Spec, source, sink, null, scorer, metrics, TimeProvider.System, NullLogger.Instance);

        var run = pipeline.RunAsync(stop.Token);
        await full.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 20; i++)
        {
            await Task.Yield();
        }

        Assert.Equal(Spec.MaxInFlight, source.Added);
        Assert.Equal(Spec.MaxInFlight, pipeline.InFlight);

        stop.Cancel();
        gate.SetResult();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        // What was in flight at the stop is answered and acknowledged; nothing more was read.
        Assert.Equal(Spec.MaxInFlight, source.Added);
        Assert.Equal(Spec.MaxInFlight, sink.Answers.Count);
        Assert.Equal(Spec.MaxInFlight, source.Acknowledged.Count);
        Assert.Equal(Spec.MaxInFlight, active);
    }

    [Theory]
    [InlineData(64, 64, 32)] // the benchmark's settings: two batches of 32 in flight, not one of 64
    [InlineData(64, 1024, 64)]
    [InlineData(8, 12, 6)]
    [InlineData(1, 1, 1)]
    [InlineData(4, 5, 2)]
    public void BatchSize_IsMaxBatch_ButAtMostHalfTheInFlightBound(int maxBatch, int maxInFlight, int expected)
        => Assert.Equal(expected, StreamPipeline.BatchSize(Spec with { MaxBatch = maxBatch, MaxInFlight = maxInFlight }));

    [Fact]
    public async Task Run_LoneMessage_NothingInFlight_GoesAtOnce_WithoutWaitingTheMaxDelay()
    {
        // A clock that never moves: a message held back for the delay (10 s) would never be answered.
        var time = new FakeTimeProvider();
        var spec = Spec with { MaxDelay = TimeSpan.FromSeconds(10) };
        var source = new ListSource([ListSource.Message("1", "{\"id\":\"a\"}")], endWhenRead: false);
        var sink = new ListSink();
        var scorer = new FuncScorer((_, _) => ValueTask.FromResult(Ok()));
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();

        var run = new StreamPipeline(spec, source, sink, null, scorer, metrics, time, NullLogger.Instance).RunAsync(stop.Token);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (sink.Answers.IsEmpty && DateTime.UtcNow < until && !run.IsCompleted)
        {
            await Task.Delay(10);
        }

        Assert.Equal("1", Assert.Single(sink.Answers).SourceId);
        Assert.Equal(["1"], source.Acknowledged);
        Assert.True(scorer.WarmedBeforeFirstScore, "the scorer was not warmed up before the first message");
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Run_WhileABatchIsInFlight_CollectsTheNextUntilItFinishes()
    {
        var time = new FakeTimeProvider();
        var spec = Spec with { MaxDelay = TimeSpan.FromSeconds(10), MaxBatch = 8, MaxInFlight = 16 };
        var messages = Enumerable.Range(0, 4).Select(i => ListSource.Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{{\"id\":\"{i}\"}}")).ToList();
        var source = new GatedSource(messages);
        var sink = new ListSink();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scorer = new FuncScorer(async (id, _) =>
        {
            if (id == "0")
            {
                started.TrySetResult();
                await gate.Task;
            }

            return Ok();
        });
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var run = new StreamPipeline(spec, source, sink, null, scorer, metrics, time, NullLogger.Instance).RunAsync(stop.Token);

        // Message 0 goes alone (nothing in flight) and holds; 1-3 arrive while it is in flight.
        source.Release(1);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        source.Release(3);
        await source.AllAdded.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 20; i++)
        {
            await Task.Yield();
        }

        Assert.Equal(0, scorer.Calls("1")); // held for a fuller batch: the clock has not moved
        gate.SetResult();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (sink.Answers.Count < 4 && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        // Sent when batch 0 finished, as one batch: acknowledged together, after 0.
        Assert.Equal(["0", "1", "2", "3"], source.Acknowledged);
        Assert.Equal([1, 3], source.AcknowledgedBatches);
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Run_WhileABatchIsBeingScored_TheNextIsScoredOnAnotherThread()
    {
        // Batches of one: each message is a batch. Scoring message 0 holds its thread (as decoding a
        // batch does, synchronously); message 1 must still be collected and scored meanwhile. Before,
        // a batch's scan, decoding and validation ran on the collecting loop's thread, so message 1
        // waited for message 0 however many batches the in-flight bound allowed.
        var spec = Spec with { MaxBatch = 1, MaxInFlight = 8 };
        var messages = Enumerable.Range(0, 2).Select(i => ListSource.Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{{\"id\":\"{i}\"}}")).ToList();
        var source = new GatedSource(messages);
        var sink = new ListSink();
        using var hold = new ManualResetEventSlim();
        using var holding = new ManualResetEventSlim();
        var scorer = new FuncScorer((id, _) =>
        {
            if (id == "0")
            {
                holding.Set();
                hold.Wait(TimeSpan.FromSeconds(30));
            }

            return ValueTask.FromResult(Ok());
        });
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var run = new StreamPipeline(spec, source, sink, null, scorer, metrics, TimeProvider.System, NullLogger.Instance).RunAsync(stop.Token);

        source.Release(1);
        Assert.True(holding.Wait(TimeSpan.FromSeconds(30)), "message 0 was never scored");
        source.Release(1);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (sink.Answers.Count < 1 && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        var answeredWhileHeld = sink.Answers.Select(a => a.SourceId).ToList();
        hold.Set();
        Assert.Equal(["1"], answeredWhileHeld);
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, sink.Answers.Count);
    }
}
