using Usher.Core.Models;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;
using Usher.Core.Tests.Models;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The adaptive mode (dynamic_batching without a delay): never waits, runs a request at once when
/// an instance is idle, and lets a batch grow only while every instance is busy. Time is fake and
/// never advanced here unless a test says so: anything that completes did so without waiting.
/// </summary>
public sealed class AdaptiveBatchingTests
{
    [Fact]
    public async Task ALoneRequest_RunsAtOnce_WithoutWaiting()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, mode: BatchingMode.Adaptive));

        var result = await h.Enqueue(BatcherHarness.Request(1, start: 3));

        Assert.Equal([1], h.Batches);
        Assert.Equal(TimeSpan.Zero, result.Value!.Queue);
        Assert.Equal([6f, 8f], result.Value.Outputs[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task WhileTheOnlyInstanceIsBusy_RequestsAccumulate_IntoOneBatch_TakenByTheThreadThatFinished()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, mode: BatchingMode.Adaptive));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 0));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running");
        var queued = Enumerable.Range(1, 5).Select(i => h.Enqueue(BatcherHarness.Request(1, start: 10 * i))).ToList();
        Assert.Equal(5, h.Batcher.Pending);
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        h.Release();
        var results = await Task.WhenAll(queued.Append(first));

        Assert.Equal([1, 5], h.Batches);

        // The caller's thread that ran the first request took the grown batch: no executor was woken for it.
        Assert.Equal([false, false], h.RanOnExecutor);
        for (var i = 0; i < queued.Count; i++)
        {
            // Request i held [10(i+1), 10(i+1)+1]: its rows of the doubled batch come back to it.
            var start = 10f * (i + 1);
            Assert.Equal([2 * start, 2 * (start + 1)], results[i].Value!.Outputs[0].AsSpan<float>().ToArray());
            Assert.Equal(5, results[i].Value!.BatchRows);
        }

        // Nobody waited for a timer: the fake clock never moved.
        Assert.Equal(DateTimeOffset.UnixEpoch, h.Time.GetUtcNow());
    }

    [Fact]
    public async Task WithAnIdleInstance_ARequestRunsAtOnce_EvenWhileAnotherInstanceIsBusy()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, instances: 2, mode: BatchingMode.Adaptive));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the first request is running");
        var second = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 2, "the second request is running beside it");
        var third = h.Enqueue(BatcherHarness.Request(1));
        var fourth = h.Enqueue(BatcherHarness.Request(1));
        Assert.Equal(2, h.Batcher.Pending);

        h.Release();
        await Task.WhenAll(first, second, third, fourth);

        Assert.Equal(2, h.MaxRunning);
        Assert.Equal([1, 1, 2], h.Batches.Order());
    }

    [Fact]
    public async Task AdaptiveIgnoresTheDelay_WhereTheDelayModeWaitsIt()
    {
        await using var adaptive = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 2000, mode: BatchingMode.Adaptive));
        var time = new RecordingTimeProvider();
        await using var delay = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, delayMicros: 2000, mode: BatchingMode.Delay), time: time);

        var now = await adaptive.Enqueue(BatcherHarness.Request(1));
        var waiting = delay.Enqueue(BatcherHarness.Request(1));

        // The executor's timer counts whole milliseconds from when it is armed: moved before, the
        // clock would find it looking late and waiting up to 1 ms more.
        await BatcherHarness.Until(() => time.Asked.Count > 0, "the executor armed its timer");
        delay.Time.Advance(TimeSpan.FromMicroseconds(1999));
        await Task.Yield();

        Assert.True(now.IsSuccess);
        Assert.False(waiting.IsCompleted);
        delay.Time.Advance(TimeSpan.FromMicroseconds(1));
        Assert.Equal(TimeSpan.FromMilliseconds(2), (await waiting).Value!.Queue);
    }

    [Theory]
    [InlineData("dynamic_batching: {}", "Adaptive")]
    [InlineData("dynamic_batching: {max_batch_size: 4}", "Adaptive")]
    [InlineData("dynamic_batching: {max_queue_delay_microseconds: 0}", "Delay")]
    [InlineData("dynamic_batching: {max_queue_delay_microseconds: 500}", "Delay")]
    public void TheModeFollowsWhetherTheConfigSetsADelay(string section, string expected)
    {
        var config = ConfigYaml.Valid("max_batch_size: 16\n" + section);
        var signature = new ModelSignature([new TensorSpec("x", DataType.Fp32, [-1, 2])], [new TensorSpec("y", DataType.Fp32, [-1, 2])], 16, new Dictionary<string, string>());

        var settings = BatcherSettings.From(config, signature, 1, new SchedulingOptions());

        Assert.Equal(expected, settings.Mode.ToString());
    }
}
