using Usher.Core.Inference;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// Where a queued request's caller continues once an executor has run it: on the executor's own
/// thread when nothing else waits for the instance (no thread-pool hand-off), on the thread pool when
/// requests wait (the executor runs the next batch instead of writing a response).
/// </summary>
public sealed class ExecutorContinuationTests
{
    [Fact]
    public async Task AnExecutorThatLeavesTheQueueEmpty_RunsTheLastCallersContinuationOnItsOwnThread()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running on its caller's thread");

        // The instance is busy: this one queues, and the executor runs it once the first is done.
        var queued = ContinuedOn(h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 3), 1, null, CancellationToken.None));
        Assert.Equal(1, h.Batcher.Pending);

        h.Release();
        var (result, thread) = await queued;
        await first;

        Assert.Equal([false, true], h.RanOnExecutor);
        Assert.Equal([6f, 8f], result.Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.StartsWith("usher executor", thread, StringComparison.Ordinal);
        Assert.Equal(0, h.Budget.Used);
    }

    [Fact]
    public async Task AnExecutorWithRequestsWaiting_HandsTheContinuationToThePool_AndKeepsTheLastOneForItself()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running on its caller's thread");
        var second = ContinuedOn(h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 3), 1, null, CancellationToken.None));
        var third = ContinuedOn(h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 5), 1, null, CancellationToken.None));
        Assert.Equal(2, h.Batcher.Pending);

        h.Release();
        var (secondResult, secondThread) = await second;
        var (thirdResult, thirdThread) = await third;
        await first;

        Assert.Equal([1, 1, 1], h.Batches);
        Assert.Equal([false, true, true], h.RanOnExecutor);
        Assert.Equal([6f, 8f], secondResult.Value!.Outputs[0].AsSpan<float>().ToArray());
        Assert.Equal([10f, 12f], thirdResult.Value!.Outputs[0].AsSpan<float>().ToArray());

        // The third was still queued when the second finished: the executor ran it rather than the
        // second's continuation. Nothing waited once the third finished.
        Assert.DoesNotContain("usher executor", secondThread ?? string.Empty, StringComparison.Ordinal);
        Assert.StartsWith("usher executor", thirdThread, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACallerThatDisposesTheBatcherInItsContinuation_OnTheExecutorsThread_DoesNotWaitForItself()
    {
        // As an engine user does: await the answer, then dispose, which ModelVersion does synchronously.
        // The continuation runs on the executor's thread, so the dispose must not wait for that thread.
        var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running on its caller's thread");
        var queued = DisposedFrom(h.Batcher, h.Batcher.EnqueueAsync(BatcherHarness.Request(1, start: 3), 1, null, CancellationToken.None));

        h.Release();
        var (thread, disposed) = await queued;
        await first;

        Assert.StartsWith("usher executor", thread, StringComparison.Ordinal);
        Assert.True(disposed, "the dispose waited for the executor that was running it");
    }

    private static async Task<(string? Thread, bool Disposed)> DisposedFrom(DynamicBatcher batcher, ValueTask<InferenceResult<BatchResult>> pending)
    {
        await pending.ConfigureAwait(false);
        var thread = Thread.CurrentThread.Name;

        // A bound instead of a hang: before the fix this never completed.
        var disposed = batcher.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        return (thread, disposed);
    }

    private static async Task<(InferenceResult<BatchResult> Result, string? Thread)> ContinuedOn(ValueTask<InferenceResult<BatchResult>> pending)
    {
        var result = await pending.ConfigureAwait(false);
        return (result, Thread.CurrentThread.Name);
    }
}
