using Usher.Core.Inference;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tests.Telemetry;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The inline path: a request that meets an idle instance and an empty queue runs on its caller's
/// thread and comes back already completed. It keeps every semantic of a queued one: metrics,
/// max_batch_size for the batch its thread takes next, queueing of what arrives meanwhile,
/// cancellation. Time is fake; the backend "takes" <see cref="BatcherHarness.ComputePerRow"/>.
/// </summary>
public sealed class InlinePathTests
{
    [Theory]
    [InlineData(0, true)]
    [InlineData(8, true)]
    [InlineData(8, false)]
    public async Task ALoneRequest_IsCompletedWhenEnqueueReturns_OnTheCallersThread_AndIsCounted(int maxBatch, bool adaptive)
    {
        // The delay mode with a delay of 0 runs a lone request at once too.
        var mode = adaptive ? BatchingMode.Adaptive : BatchingMode.Delay;
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: maxBatch, mode: mode)) { ComputePerRow = TimeSpan.FromMilliseconds(3) };
        using var recorder = new MeasurementRecorder(h.Metrics);

        var pending = h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 5), 1, null, CancellationToken.None);

        // No thread ran it but this one, and nothing was left to await.
        Assert.True(pending.IsCompletedSuccessfully);
        var result = await pending;
        Assert.Equal([false], h.RanOnExecutor);
        Assert.Equal([10f, 12f], result.Value!.Outputs[0].AsSpan<float>().ToArray());

        // Server-Timing's phases: no queue at all, and compute is the backend's own (fake) 3 ms.
        Assert.Equal(TimeSpan.Zero, result.Value.Queue);
        Assert.Equal(TimeSpan.FromMilliseconds(3), result.Value.Compute);
        recorder.Observe();
        Assert.Equal([1.0], recorder.Of("usher_inference_exec_count").Select(m => m.Value));
        Assert.Equal([1.0], recorder.Of("usher_inference_count").Select(m => m.Value));
        var batches = new long[UsherMetrics.BatchSizeBuckets.Count + 1];
        Assert.Equal(1, Assert.Single(h.Metrics.Totals).BatchSize.Read(batches));
        Assert.Equal(1, batches[0]);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task RequestsArrivingDuringAnInlineRun_Queue_AndTheBatchesTakenAfterItHonourMaxBatchSize()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 4, mode: BatchingMode.Adaptive));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running on its caller's thread");
        var queued = Enumerable.Range(1, 6).Select(i => h.Enqueue(BatcherHarness.Request(1, start: 10 * i))).ToList();
        Assert.Equal(6, h.Batcher.Pending);
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        h.Release();
        var results = await Task.WhenAll(queued.Append(first));

        // The caller's thread takes one batch of at most 4; the 2 left wake the executor.
        Assert.Equal([1, 4, 2], h.Batches);
        Assert.Equal([false, false, true], h.RanOnExecutor);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        for (var i = 0; i < queued.Count; i++)
        {
            var start = 10f * (i + 1);
            Assert.Equal([2 * start, 2 * (start + 1)], results[i].Value!.Outputs[0].AsSpan<float>().ToArray());
            Assert.Equal(i < 4 ? 4 : 2, results[i].Value!.BatchRows);
        }

        Assert.Equal(0, h.Batcher.Pending);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task AQueuedRequestCanceledDuringAnInlineRun_FailsAtOnce_AndIsNotInTheBatchTakenNext()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, mode: BatchingMode.Adaptive));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running on its caller's thread");
        using var cts = new CancellationTokenSource();
        var gone = h.Enqueue(BatcherHarness.Request(1, start: 7), cancellationToken: cts.Token);
        var kept = h.Enqueue(BatcherHarness.Request(1, start: 9));

        await cts.CancelAsync();
        Assert.Equal(InferenceErrorKind.Canceled, (await gone).Error!.Kind);
        Assert.Equal(1, h.Batcher.Pending);
        h.Release();
        await first;

        Assert.True((await kept).IsSuccess);
        Assert.Equal([0f, 9f], h.RanFirstValues);
        Assert.Equal([1, 1], h.Batches);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task ARequestAlreadyCanceled_IsNeverRun_AndLeavesTheInstanceFree()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, mode: BatchingMode.Adaptive));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var canceled = await h.Batcher.EnqueueAsync(BatcherHarness.Request(1), 1, null, cts.Token);
        var next = h.Batcher.EnqueueAsync(BatcherHarness.Request(1), 1, null, CancellationToken.None);

        Assert.Equal(InferenceErrorKind.Canceled, canceled.Error!.Kind);
        Assert.True(next.IsCompletedSuccessfully);
        Assert.Equal([1], h.Batches);
        Assert.Equal([false], h.RanOnExecutor);
    }

    [Fact]
    public async Task BatchingOff_ARequestThatMeetsAnIdleInstanceBehindQueuedOnes_RunsThemAndThenItself_OnItsCallersThread()
    {
        // Batching off (no dynamic_batching: max batch 0, adaptive), one instance.
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 0, mode: BatchingMode.Adaptive));
        using var executorBack = new ManualResetEventSlim();
        var (earlier, five) = await LeaveOneQueuedBehindAnIdleInstance(h, executorBack, level: 1);
        try
        {
            // Old code: 6 queued behind 5 until the executor came back. Now its caller runs 5, then 6.
            var six = h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 6), 1, null, CancellationToken.None);

            Assert.True(six.IsCompletedSuccessfully, "the request queued behind an idle instance");
            Assert.Equal(0, h.Batcher.Pending);
            Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f, 6f], h.RanFirstValues);
            Assert.Equal([false, false, true, false, false, false, false], h.RanOnExecutor);
            var sixth = await six;
            var fifth = await five;
            Assert.Equal([12f, 14f], sixth.Value!.Outputs[0].AsSpan<float>().ToArray());
            Assert.Equal([10f, 12f], fifth.Value!.Outputs[0].AsSpan<float>().ToArray());
        }
        finally
        {
            executorBack.Set();
        }

        // Every request ran once, each as its own batch, with its own answer.
        var results = await Task.WhenAll(earlier);
        Assert.Equal([0f, 2f, 4f, 6f, 8f], results.Select(r => r.Value!.Outputs[0].AsSpan<float>()[0]));
        Assert.Equal(Enumerable.Repeat(1, 7), h.Batches);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task BatchingOff_ARequestThatMeetsAnIdleInstance_RunsNoQueuedRequestOfALowerPriorityBeforeItself()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 0, mode: BatchingMode.Adaptive, levels: 2));
        using var executorBack = new ManualResetEventSlim();
        var (earlier, five) = await LeaveOneQueuedBehindAnIdleInstance(h, executorBack, level: 2);
        try
        {
            // 6 (priority 1) is ahead of 5 (priority 2) in the queue's order: its caller runs it alone.
            var six = h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 6), 1, null, CancellationToken.None);

            Assert.True(six.IsCompletedSuccessfully, "the request queued behind an idle instance");
            Assert.Equal(1, h.Batcher.Pending);
            Assert.False(five.IsCompleted);
            Assert.Equal([0f, 1f, 2f, 3f, 4f, 6f], h.RanFirstValues);
        }
        finally
        {
            executorBack.Set();
        }

        // The executor, back, takes 5.
        var fifth = await five;
        Assert.Equal([10f, 12f], fifth.Value!.Outputs[0].AsSpan<float>().ToArray());
        await Task.WhenAll(earlier);
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 6f, 5f], h.RanFirstValues);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task BatchingOff_ARequestThatMeetsEveryInstanceBusy_Queues()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 0, mode: BatchingMode.Adaptive, instances: 2));
        h.Hold();
        var running = new[] { h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0)), h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 1)) };
        await BatcherHarness.Until(() => h.Running == 2, "both instances are running a caller's request");

        var queued = h.Enqueue(BatcherHarness.Request(1, start: 2));
        Assert.False(queued.IsCompleted);
        Assert.Equal(1, h.Batcher.Pending);

        h.Release();
        var result = await queued;
        Assert.Equal([4f, 6f], result.Value!.Outputs[0].AsSpan<float>().ToArray());
        await Task.WhenAll(running);
        Assert.Equal(3, h.Batches.Count);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task AnIdleExecutor_IsWokenForAQueuedRequest_WhenNoCallerCanRunIt()
    {
        // With a queue delay nothing runs inline: the executor waits for the request and its delay.
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 100, mode: BatchingMode.Delay));
        var waiting = h.Enqueue(BatcherHarness.Request(1, start: 2));
        await BatcherHarness.Until(() => h.Batcher.Pending == 1, "the request is queued");

        // The executor is woken (first by the request, then by its delay's timer) and runs it.
        await BatcherHarness.Until(() => { h.Time.Advance(TimeSpan.FromMicroseconds(100)); return waiting.IsCompleted; }, "the delay passed and the executor ran the batch");

        var result = await waiting;
        Assert.Equal([4f, 6f], result.Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.Equal([true], h.RanOnExecutor);
    }

    // Awaits a queued request; its continuation (on whichever thread completes it) reports that
    // thread's name and then waits until the test lets it go, keeping that thread away.
    private static async Task<InferenceResult<BatchResult>> BlockedContinuation(ValueTask<InferenceResult<BatchResult>> pending, TaskCompletionSource<string?> running, ManualResetEventSlim back)
    {
        var result = await pending.ConfigureAwait(false);
        running.SetResult(Thread.CurrentThread.Name);
        back.Wait(TimeSpan.FromSeconds(30));
        return result;
    }

    // One instance, batching off. Requests 0 to 4 run (each as its own batch; 2 on the executor,
    // whose caller's continuation then keeps that thread until executorBack is set), and request 5,
    // at the given priority level, is left in the queue while the instance is idle: what a request
    // that arrives next meets. Returns the tasks of 0 to 4 and of 5.
    private static async Task<(Task<InferenceResult<BatchResult>>[] Earlier, Task<InferenceResult<BatchResult>> Five)> LeaveOneQueuedBehindAnIdleInstance(BatcherHarness h, ManualResetEventSlim executorBack, int level)
    {
        var executorAway = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The executor leaves to run a caller's continuation and stays there: a caller's thread takes
        // one queued request (1) after its own (0); the executor takes the next (2), and with nothing
        // left in the queue runs its caller's continuation itself.
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running on its caller's thread");
        var one = h.Enqueue(BatcherHarness.Request(1, start: 1));
        var two = BlockedContinuation(h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 2), 1, null, CancellationToken.None), executorAway, executorBack);
        h.Release();
        Assert.StartsWith("usher executor", await executorAway.Task.WaitAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);

        // A request (3) runs on its caller's thread, which then takes one queued request (4) and
        // gives the instance back: 5 is left in the queue behind an idle instance, and the executor
        // that would take it is away.
        h.Hold();
        var third = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 3));
        await BatcherHarness.Until(() => h.Running == 1, "the third request is running on its caller's thread");
        var four = h.Enqueue(BatcherHarness.Request(1, start: 4));
        var five = h.Enqueue(BatcherHarness.Request(1, start: 5), level);
        h.Release();
        await Task.WhenAll(third, four);
        Assert.Equal(1, h.Batcher.Pending);
        Assert.Equal([0f, 1f, 2f, 3f, 4f], h.RanFirstValues);
        return ([first, one, two, third, four], five);
    }
}
