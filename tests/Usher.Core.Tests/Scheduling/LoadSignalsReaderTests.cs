using Usher.Core.Models;
using Usher.Core.Scheduling;

namespace Usher.Core.Tests.Scheduling;

public sealed class LoadSignalsReaderTests
{
    [Fact]
    public async Task Read_EstimatedWait_IsQueueDepthTimesTimePerRequestOverInstances()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 4, instances: 2));
        h.Batcher.Load.BatchRan(4, 2 * h.Time.TimestampFrequency); // 0.5 s per request
        h.Hold();
        var running = Enumerable.Range(0, 2).Select(_ => h.EnqueueFromAnotherThread(BatcherHarness.Request(1))).ToList();
        await BatcherHarness.Until(() => h.Running == 2, "both instances run");
        var queued = Enumerable.Range(0, 6).Select(_ => h.EnqueueFromAnotherThread(BatcherHarness.Request(1))).ToList();
        await BatcherHarness.Until(() => h.Batcher.Pending == 6, "six requests wait");
        h.Time.Advance(TimeSpan.FromSeconds(10));

        var signals = new LoadSignalsReader(h.Batcher, mostInstances: 2).Read();

        // 6 x 0.5 s / 2 instances; 2 s busy of 2 x 10 s; queue fill 6 / (2 instances x batch 4) = 0.75.
        Assert.Equal(1.5, signals.EstimatedWait.TotalSeconds, 6);
        Assert.Equal(0.1, signals.Utilization, 6);
        Assert.Equal(0.75, signals.Saturation, 6);
        Assert.Equal(2, signals.Instances);

        h.Release();
        await Task.WhenAll(running.Concat(queued));
    }

    [Fact]
    public async Task Read_Saturation_CountsInstancesTheAutoscalerCanStillAdd()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 4, instances: 1));
        h.Time.Advance(TimeSpan.FromSeconds(10));
        h.Batcher.Load.BatchRan(10, 10 * h.Time.TimestampFrequency);

        var fixedCount = new LoadSignalsReader(h.Batcher, mostInstances: 1).Read();
        var scalable = new LoadSignalsReader(h.Batcher, mostInstances: 4).Read();

        // Busy the whole window: saturated at its only instance; a quarter of what it may grow to.
        Assert.Equal(1.0, fixedCount.Saturation, 6);
        Assert.Equal(0.25, scalable.Saturation, 6);
        Assert.Equal(1.0, scalable.Utilization, 6);
    }

    [Fact]
    public async Task Read_QueueFill_UsesTheQueueBoundWhenSmallerThanARound()
    {
        var policy = new ResolvedQueuePolicy(MaxQueueSize: 2, DefaultTimeout: null, AllowTimeoutOverride: false, TimeoutAction.Reject);
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 8, instances: 1, policy: policy));
        h.Hold();
        var running = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the instance runs");
        var queued = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Batcher.Pending == 1, "one request waits");

        // Queue fill 1 / min(bound 2, round 1 x 8) = 0.5; nothing has finished, so utilisation is 0.
        Assert.Equal(0.5, new LoadSignalsReader(h.Batcher, mostInstances: 1).Read().Saturation, 6);

        h.Release();
        await Task.WhenAll(running, queued);
    }
}
