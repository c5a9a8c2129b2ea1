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
}
