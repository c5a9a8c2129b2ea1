using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

public sealed class DynamicBatcherTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(2);

    [Fact]
    public async Task Enqueue_WithinTheQueueDelay_FormsOneBatch_AndSplitsOutputsExactly()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 2000));
        var a = h.Enqueue(BatcherHarness.Request(1, start: 1));
        var b = h.Enqueue(BatcherHarness.Request(2, start: 100));
        var c = h.Enqueue(BatcherHarness.Request(1, start: 1000));
        Assert.Empty(h.Batches);

        h.Time.Advance(Delay);
        var results = await Task.WhenAll(a, b, c);

        Assert.Equal([4], h.Batches);
        Assert.Equal([2f, 4f], results[0].Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.Equal([200f, 202f, 204f, 206f], results[1].Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.Equal([2, 2], results[1].Value!.Outputs[0].Shape);
        Assert.Equal([2000f, 2002f], results[2].Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.All(results, r => Assert.Equal(4, r.Value!.BatchRows));
        Assert.All(results, r => Assert.Equal(Delay, r.Value!.Queue));
    }

    [Fact]
    public async Task ASubMillisecondDelay_ArmsOneTimerOfAWholeMillisecond_RatherThanWaitingAgainUntilTheClockMoves()
    {
        // Task.Delay truncates to whole milliseconds: a wait of 500 us completes at once, and an
        // executor that waited again for the exact rest looped until the clock moved, arming no timer.
        var time = new RecordingTimeProvider();
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 500), time: time);
        var waiting = h.Enqueue(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => time.Asked.Count > 0, "the executor armed a timer for the delay");
        Assert.False(waiting.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await waiting;

        Assert.Equal([TimeSpan.FromMilliseconds(1)], time.Asked);
        Assert.Equal(TimeSpan.FromMilliseconds(1), result.Value!.Queue);
        Assert.Equal([1], h.Batches);
    }

    [Fact]
    public async Task Enqueue_WithoutDelay_RunsAtOnce()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 0));
        var result = await h.Enqueue(BatcherHarness.Request(1));
        Assert.True(result.IsSuccess);
        Assert.Equal([1], h.Batches);
    }

    [Fact]
    public async Task Enqueue_ReachingMaxBatchSize_RunsWithoutWaitingForTheDelay()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 4, delayMicros: 1_000_000));
        var tasks = Enumerable.Range(0, 6).Select(i => h.Enqueue(BatcherHarness.Request(1, start: i))).ToList();
        await Task.WhenAll(tasks.Take(4));
        Assert.Equal([4], h.Batches);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(tasks);
        Assert.Equal([4, 2], h.Batches);
    }

    [Fact]
    public async Task Enqueue_ARequestCarryingABatch_CountsByItsSize()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 4, delayMicros: 1_000_000));
        var three = h.Enqueue(BatcherHarness.Request(3));
        var two = h.Enqueue(BatcherHarness.Request(2));
        await three;
        Assert.Equal([3], h.Batches);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await two;
        Assert.Equal([3, 2], h.Batches);
    }

    [Fact]
    public async Task Enqueue_AtAPreferredSize_RunsThatSizeAtOnce()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 1_000_000, preferred: [2]));
        var first = h.Enqueue(BatcherHarness.Request(1));
        var second = h.Enqueue(BatcherHarness.Request(1));
        await Task.WhenAll(first, second);
        Assert.Equal([2], h.Batches);
    }

    [Fact]
    public async Task Enqueue_WithDifferentNonBatchDims_NeverSharesABatch()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 2000));
        var narrow = h.Enqueue(BatcherHarness.Request(1, width: 2));
        var wide = h.Enqueue(BatcherHarness.Request(1, width: 3));
        var narrow2 = h.Enqueue(BatcherHarness.Request(1, width: 2));
        h.Time.Advance(Delay);
        await BatcherHarness.Until(() => narrow.IsCompleted, "the first batch ran");
        h.Time.Advance(Delay);
        await Task.WhenAll(narrow, wide, narrow2);
        Assert.Equal(3, h.Batches.Sum());
        Assert.Equal([1, 1, 1], h.Batches);
        var wideShape = (await wide).Value!.Outputs[0].Shape;
        Assert.Equal(3L, wideShape[1]);
    }

    [Fact]
    public async Task Enqueue_HigherPriority_RunsFirst()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, levels: 2));
        h.Hold();
        var blocker = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        var low = h.Enqueue(BatcherHarness.Request(1, start: 20), level: 2);
        var high = h.Enqueue(BatcherHarness.Request(1, start: 10), level: 1);
        h.Release();
        await Task.WhenAll(blocker, low, high);
        Assert.Equal([0f, 10f, 20f], h.RanFirstValues);
    }

    [Fact]
    public async Task Enqueue_WhenTheQueueIsFull_IsRejectedAtOnce()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, policy: new ResolvedQueuePolicy(1, null, false, TimeoutAction.Reject)));
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        var queued = h.Enqueue(BatcherHarness.Request(1));
        var refused = await h.Enqueue(BatcherHarness.Request(1));

        Assert.Equal(InferenceErrorKind.ResourceExhausted, refused.Error!.Kind);
        Assert.Contains("queue is full (1 requests)", refused.Error.Message, StringComparison.Ordinal);
        h.Release();
        Assert.True((await queued).IsSuccess);
        Assert.True((await running).IsSuccess);
    }

    [Fact]
    public async Task Enqueue_OverTheMemoryBound_IsRejected_AndTheBytesComeBack()
    {
        // One 1x2 FP32 request is 8 bytes; the bound admits one at a time.
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1), memoryLimit: 8);
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        var refused = await h.Enqueue(BatcherHarness.Request(1));
        Assert.Equal(InferenceErrorKind.ResourceExhausted, refused.Error!.Kind);
        Assert.Contains("max_in_flight_bytes", refused.Error.Message, StringComparison.Ordinal);

        h.Release();
        await running;
        Assert.Equal(0, h.Budget.Used);
        Assert.True((await h.Enqueue(BatcherHarness.Request(1))).IsSuccess);
    }

    [Fact]
    public async Task ClientTimeout_WithoutAModelDefault_StillFails_OnTime_WhileTheInstanceIsBusy()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1));
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        var waiting = h.Enqueue(BatcherHarness.Request(1, start: 50), timeout: TimeSpan.FromMilliseconds(5));

        h.Time.Advance(TimeSpan.FromMilliseconds(4));
        Assert.False(waiting.IsCompleted);
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await waiting;

        Assert.Equal(InferenceErrorKind.Timeout, result.Error!.Kind);
        Assert.Contains("timeout of 5 ms", result.Error.Message, StringComparison.Ordinal);
        h.Release();
        await running;
        Assert.DoesNotContain(50f, h.RanFirstValues);
    }

    [Fact]
    public async Task ClientTimeout_LongerThanTheDefault_IsIgnored_AndShorterNeedsOverride()
    {
        var policy = new ResolvedQueuePolicy(100, TimeSpan.FromMilliseconds(10), AllowTimeoutOverride: false, TimeoutAction.Reject);
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, policy: policy));
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        var waiting = h.Enqueue(BatcherHarness.Request(1), timeout: TimeSpan.FromMilliseconds(1));

        h.Time.Advance(TimeSpan.FromMilliseconds(9));
        Assert.False(waiting.IsCompleted);
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(InferenceErrorKind.Timeout, (await waiting).Error!.Kind);
        h.Release();
        await running;
    }

    [Fact]
    public async Task TimeoutActionDelay_RunsTheLateRequestAfterTheOthers()
    {
        var policy = new ResolvedQueuePolicy(100, TimeSpan.FromMilliseconds(1), false, TimeoutAction.Delay);
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, policy: policy));
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        var late = h.Enqueue(BatcherHarness.Request(1, start: 1));
        h.Time.Advance(TimeSpan.FromMilliseconds(1));
        var onTime = h.Enqueue(BatcherHarness.Request(1, start: 2));
        h.Release();

        var results = await Task.WhenAll(running, late, onTime);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal([0f, 2f, 1f], h.RanFirstValues);
    }

    [Fact]
    public async Task Cancel_WhileQueued_FailsAtOnce_AndIsNeverComputed()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1));
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first batch is running");
        using var cts = new CancellationTokenSource();
        var gone = h.Enqueue(BatcherHarness.Request(1, start: 7), cancellationToken: cts.Token);
        Assert.Equal(1, h.Batcher.Pending);

        await cts.CancelAsync();
        Assert.Equal(InferenceErrorKind.Canceled, (await gone).Error!.Kind);
        Assert.Equal(0, h.Batcher.Pending);
        h.Release();
        await running;
        Assert.True((await h.Enqueue(BatcherHarness.Request(1, start: 8))).IsSuccess);
        Assert.Equal([0f, 8f], h.RanFirstValues);
    }

    [Fact]
    public async Task BackendFailure_FailsOnlyItsBatch()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8));
        h.FailNext = new InvalidOperationException("out of memory on the device");
        var failed = await h.Enqueue(BatcherHarness.Request(2));
        Assert.Equal(InferenceErrorKind.Internal, failed.Error!.Kind);
        Assert.Contains("out of memory on the device", failed.Error.Message, StringComparison.Ordinal);
        Assert.True((await h.Enqueue(BatcherHarness.Request(2))).IsSuccess);
    }

    [Fact]
    public async Task Dispose_FailsQueuedRequestsAsUnavailable()
    {
        var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 1_000_000));
        var queued = h.Enqueue(BatcherHarness.Request(1));
        await h.DisposeAsync();
        Assert.Equal(InferenceErrorKind.Unavailable, (await queued).Error!.Kind);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task Instances_RunThatManyBatchesAtOnce_AndNoMore()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 0, instances: 2));
        h.Hold();
        var tasks = Enumerable.Range(0, 6).Select(i => h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: i))).ToList();
        await BatcherHarness.Until(() => h.Running == 2, "two batches are running");
        await BatcherHarness.Until(() => h.Batcher.Pending == 4, "the other four are queued");
        Assert.Equal(1.0, h.Batcher.Utilization);

        h.Release();
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(2, h.MaxRunning);
        Assert.Equal(6, h.Batches.Count);
    }
}
