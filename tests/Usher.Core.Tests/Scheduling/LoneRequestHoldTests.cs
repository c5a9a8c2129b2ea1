using Usher.Core.Inference;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The adaptive mode's rule for a lone request (one that meets an idle instance and an empty queue):
/// it runs at once, unless callers of the batch just run are still to come back, in which case it
/// waits for them, at most the batch's predicted run time and never more than
/// <see cref="DynamicBatcher.MaxHold"/>. Time is fake; the backend "takes"
/// <see cref="BatcherHarness.ComputePerRow"/> per row, which is what the latency model learns.
/// </summary>
public sealed class LoneRequestHoldTests
{
    [Fact]
    public async Task ALoneClient_WithEveryInstanceIdle_RunsAtOnce_EveryTime()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, mode: BatchingMode.Adaptive)) { ComputePerRow = TimeSpan.FromMilliseconds(1) };

        for (var i = 0; i < 3; i++)
        {
            // Each request's answer came back before the next was sent: every batch is a batch of one,
            // and nothing is expected but the next request itself.
            var pending = h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: i), 1, null, CancellationToken.None);
            Assert.True(pending.IsCompletedSuccessfully, $"request {i} was not run at once");
            Assert.Equal(TimeSpan.Zero, (await pending).Value!.Queue);
        }

        Assert.Equal([1, 1, 1], h.Batches);
    }

    [Fact]
    public async Task ARequestArriving_WhileTheLastBatchsCallersComeBack_IsHeld_AndJoinsTheirBatch()
    {
        await using var h = await AfterABatchOfFour(TimeSpan.FromMilliseconds(1));

        // The four callers of the batch just run come back one by one: the first finds the instance
        // idle and the queue empty, and waits for the others rather than running alone.
        var back = new List<Task<InferenceResult<BatchResult>>>();
        for (var i = 0; i < 3; i++)
        {
            back.Add(h.Enqueue(BatcherHarness.Request(1, start: 100 + (10 * i))));
            Assert.Equal(i + 1, h.Batcher.Pending);
        }

        Assert.All(back, t => Assert.False(t.IsCompleted));
        back.Add(h.Enqueue(BatcherHarness.Request(1, start: 130)));
        var results = await Task.WhenAll(back);

        Assert.Equal([1, 4, 4], h.Batches);
        for (var i = 0; i < 4; i++)
        {
            var start = 100f + (10 * i);
            Assert.Equal([2 * start, 2 * (start + 1)], results[i].Value!.Outputs[0].AsSpan<float>().ToArray());
            Assert.Equal(4, results[i].Value!.BatchRows);

            // Nobody waited for a timer: the last caller's arrival ended the hold.
            Assert.Equal(TimeSpan.Zero, results[i].Value!.Queue);
        }
    }

    [Fact]
    public async Task TheHold_EndsAtItsBound_EvenIfNothingElseArrives()
    {
        // The batch of four is predicted to run 4 ms: the hold is the cap, 1 ms.
        await using var h = await AfterABatchOfFour(TimeSpan.FromMilliseconds(1));

        var time = (RecordingTimeProvider)h.Time;
        var armed = time.Asked.Count;
        var held = h.Enqueue(BatcherHarness.Request(1, start: 7));

        // The executor's timer counts whole milliseconds from when it is armed (see TheDelayMode_...).
        await BatcherHarness.Until(() => time.Asked.Count > armed, "the executor armed its timer for the hold");
        h.Time.Advance(DynamicBatcher.MaxHold - TimeSpan.FromTicks(1));
        await Task.Yield();
        Assert.False(held.IsCompleted);

        h.Time.Advance(TimeSpan.FromTicks(1));
        var result = await held;

        Assert.Equal([1, 4, 1], h.Batches);
        Assert.Equal([14f, 16f], result.Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.Equal(DynamicBatcher.MaxHold, result.Value.Queue);
    }

    [Fact]
    public async Task AHoldShorterThanTheCap_EndsWithTheFirstArrivalAfterTheBatchsPredictedRunTime()
    {
        // The batch of four is predicted to run 4 x 100 us: the hold is 400 us, under the 1 ms cap.
        await using var h = await AfterABatchOfFour(TimeSpan.FromMicroseconds(100));

        var first = h.Enqueue(BatcherHarness.Request(1, start: 1));
        h.Time.Advance(TimeSpan.FromMicroseconds(400));
        await Task.Yield();
        Assert.False(first.IsCompleted);

        // Two of the four callers are still out, but the hold has lasted its bound: this arrival ends it.
        var second = h.Enqueue(BatcherHarness.Request(1, start: 5));
        var results = await Task.WhenAll(first, second);

        Assert.Equal([1, 4, 2], h.Batches);
        Assert.Equal(TimeSpan.FromMicroseconds(400), results[0].Value!.Queue);
        Assert.Equal(TimeSpan.Zero, results[1].Value!.Queue);
        Assert.Equal([10f, 12f], results[1].Value!.Outputs[0].AsSpan<float>().ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    public async Task TheDelayMode_KeepsTritonsSemantics_AfterABatch(int delayMicros)
    {
        // max_queue_delay_microseconds set: a lone request waits the delay, in the timers' whole
        // milliseconds (0: not at all), whoever is expected back.
        await using var h = await AfterABatchOfFour(TimeSpan.FromMilliseconds(1), BatchingMode.Delay, delayMicros);

        var time = (RecordingTimeProvider)h.Time;
        var armed = time.Asked.Count;
        var lone = h.Enqueue(BatcherHarness.Request(1, start: 2));
        var wait = DelayModeWait(delayMicros);
        if (delayMicros > 0)
        {
            // The wait counts from when the executor arms its timer: a clock moved before that would
            // find the executor looking late.
            await BatcherHarness.Until(() => time.Asked.Count > armed, "the executor armed its timer");
            h.Time.Advance(wait - TimeSpan.FromMicroseconds(1));
            await Task.Yield();
            Assert.False(lone.IsCompleted);
            h.Time.Advance(TimeSpan.FromMicroseconds(1));
        }
        else
        {
            Assert.True(lone.IsCompletedSuccessfully);
        }

        var result = await lone;
        Assert.Equal(wait, result.Value!.Queue);
        Assert.Equal(1, h.Batches[^1]);
    }

    // How long the delay mode waits for a delay: whole milliseconds, the timers' resolution.
    private static TimeSpan DelayModeWait(int delayMicros) => TimeSpan.FromMilliseconds(Math.Ceiling(delayMicros / 1000.0));

    // A batcher whose last batch held four requests (so four callers are expected back), run after a
    // batch of one; both taught the latency model computePerRow per row.
    private static async Task<BatcherHarness> AfterABatchOfFour(TimeSpan computePerRow, BatchingMode mode = BatchingMode.Adaptive, int delayMicros = 0)
    {
        var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: delayMicros, mode: mode), time: new RecordingTimeProvider()) { ComputePerRow = computePerRow };
        h.Hold();

        // A delay mode with a delay queues even the first request: it runs on an executor once its delay has passed.
        var first = delayMicros > 0 ? h.Enqueue(BatcherHarness.Request(1, start: 0)) : h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        h.Time.Advance(DelayModeWait(delayMicros));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running");
        var queued = Enumerable.Range(1, 4).Select(i => h.Enqueue(BatcherHarness.Request(1, start: 10 * i))).ToList();
        h.Release();
        await first;
        h.Time.Advance(DelayModeWait(delayMicros));
        await Task.WhenAll(queued);

        // The thread that ran the batch records it and gives the instance back after its callers' answers.
        await BatcherHarness.Until(() => h.Batcher.Utilization == 0, "the batch's instance is given back");
        Assert.Equal([1, 4], h.Batches);
        return h;
    }
}
