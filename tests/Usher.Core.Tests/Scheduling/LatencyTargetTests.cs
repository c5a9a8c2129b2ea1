using Usher.Core.Inference;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

public sealed class LatencyTargetTests
{
    [Fact]
    public void ExecutionTimeModel_FitsALine_AndPredictsFromIt()
    {
        var model = new ExecutionTimeModel();
        Assert.Equal(TimeSpan.Zero, model.Predict(8));
        foreach (var n in new[] { 1, 2, 4, 8, 16 })
        {
            model.Record(n, TimeSpan.FromMilliseconds(2 + (0.5 * n)));
        }

        Assert.Equal(2 + (0.5 * 32), model.Predict(32).TotalMilliseconds, 6);
    }

    [Fact]
    public void ExecutionTimeModel_WithOneSizeSeen_ScalesPerRow()
    {
        var model = new ExecutionTimeModel();
        model.Record(4, TimeSpan.FromMilliseconds(8));
        Assert.Equal(16, model.Predict(8).TotalMilliseconds, 6);
    }

    [Fact]
    public void ExecutionTimeModel_AfterManyRuns_FitsTheLastWindowOnly()
    {
        // Sizes and times that no line fits exactly, many windows' worth, so that runs leave the
        // window as others come in; the prediction must be the least-squares line of the last 64.
        var model = new ExecutionTimeModel();
        var random = new Random(12);
        var runs = new List<(int Rows, double Seconds)>();
        for (var i = 0; i < 1_000; i++)
        {
            var rows = 1 + random.Next(64);
            var elapsed = TimeSpan.FromSeconds((0.002 + (0.0004 * rows)) * (0.8 + (0.4 * random.NextDouble())));
            runs.Add((rows, elapsed.TotalSeconds));
            model.Record(rows, elapsed);
        }

        var window = runs.TakeLast(ExecutionTimeModel.Window).ToArray();
        var meanN = window.Average(r => (double)r.Rows);
        var meanT = window.Average(r => r.Seconds);
        var slope = window.Sum(r => (r.Rows - meanN) * (r.Seconds - meanT)) / window.Sum(r => (r.Rows - meanN) * (r.Rows - meanN));
        var intercept = meanT - (slope * meanN);
        Assert.True(slope > 0 && intercept > 0, $"the data should fit a rising line with a positive intercept (slope {slope}, intercept {intercept})");
        // Within two ticks of TimeSpan (0.2 µs), which the prediction is rounded to.
        Assert.Equal((intercept + (slope * 32)) * 1e3, model.Predict(32).TotalMilliseconds, tolerance: 2e-4);
        Assert.Equal(ExecutionTimeModel.Window, model.Samples);
    }

    [Fact]
    public async Task ALoneRequest_WaitingForItsLastMoment_IsServedInTime_NotTurnedAwayByTheTimersResolution()
    {
        // A delay longer than the target, so a lone request waits for the last moment its batch can
        // still finish: 9.5 ms after it came (nothing learned yet: a run is predicted to take 0).
        // Waits end in whole milliseconds; aimed at 9.5 ms, the wait would end at 10 ms, past the
        // deadline, and the request would be rejected as late without ever having had a chance.
        var time = new RecordingTimeProvider();
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 20_000, latencyTargetMs: 9.5), time: time);
        var lone = h.Enqueue(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => time.Asked.Count > 0, "the executor armed its timer");
        var armed = time.Asked[^1];
        Assert.True(armed <= TimeSpan.FromMilliseconds(9.5), $"the wait ends after the deadline: {armed.TotalMilliseconds} ms");

        time.Advance(armed);
        var result = await lone;
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(armed, result.Value!.Queue);
        Assert.Equal(TimeSpan.FromMilliseconds(9), result.Value.Queue);
    }

    [Fact]
    public async Task Batch_IsTheLargestThatMeetsTheTargetForTheOldestRequest()
    {
        // Each row takes 1 ms (fake time); the target is 5 ms.
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 64, latencyTargetMs: 5)) { ComputePerRow = TimeSpan.FromMilliseconds(1) };
        Assert.True((await h.Enqueue(BatcherHarness.Request(1))).IsSuccess);
        Assert.True((await h.Enqueue(BatcherHarness.Request(2))).IsSuccess);

        h.Hold();
        var blocker = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "a batch is running");
        var queued = Enumerable.Range(0, 8).Select(_ => h.Enqueue(BatcherHarness.Request(1))).ToList();
        h.Release();
        var results = await Task.WhenAll(queued);

        // Every request is either served within the target or turned away at once; none is served late.
        var served = results.Where(r => r.IsSuccess).Select(r => r.Value!).ToList();
        Assert.True(served.Count >= 4, $"only {served.Count} of 8 were served");
        Assert.All(served, r => Assert.True(r.Queue + r.Compute <= TimeSpan.FromMilliseconds(5), $"served after {(r.Queue + r.Compute).TotalMilliseconds} ms"));
        Assert.All(results.Where(r => !r.IsSuccess), r => Assert.Contains("the latency target of 5 ms", r.Error!.Message, StringComparison.Ordinal));
        Assert.All(h.Batches.Skip(3), rows => Assert.True(rows <= 5, $"a batch of {rows} rows cannot run within 5 ms"));
        Assert.Contains(h.Batches.Skip(3), rows => rows > 1);
        Assert.True((await blocker).IsSuccess);
    }

    [Fact]
    public async Task Request_ThatCannotMeetTheTarget_IsRejectedAtOnce()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 64, latencyTargetMs: 5)) { ComputePerRow = TimeSpan.FromMilliseconds(1) };
        Assert.True((await h.Enqueue(BatcherHarness.Request(1))).IsSuccess);
        Assert.True((await h.Enqueue(BatcherHarness.Request(2))).IsSuccess);

        var refused = await h.Enqueue(BatcherHarness.Request(8));

        Assert.Equal(InferenceErrorKind.ResourceExhausted, refused.Error!.Kind);
        Assert.Contains("cannot meet the latency target of 5 ms", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(2, h.Batches.Count);
    }

    [Fact]
    public async Task QueuedRequest_WhoseDeadlinePassesWhileWaiting_IsRejectedRatherThanServedLate()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, latencyTargetMs: 5)) { ComputePerRow = TimeSpan.FromMilliseconds(1) };
        Assert.True((await h.Enqueue(BatcherHarness.Request(1))).IsSuccess);

        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "a batch is running");
        var waiting = h.Enqueue(BatcherHarness.Request(1, start: 9));
        h.Time.Advance(TimeSpan.FromMilliseconds(5));
        h.Release();

        var result = await waiting;
        Assert.Equal(InferenceErrorKind.ResourceExhausted, result.Error!.Kind);
        Assert.Contains("rejected rather than served late", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(9f, h.RanFirstValues);
        await running;
    }
}
