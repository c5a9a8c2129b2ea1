using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Models;
using Usher.Core.Scheduling;
using Usher.Core.Tests.Telemetry;

namespace Usher.Core.Tests.Scheduling;

public sealed class InstanceAutoscalerTests
{
    private static readonly InstanceScaling Range = new() { Min = 1, Max = 4, TargetUtilisation = 0.7, CoolDown = TimeSpan.FromSeconds(30) };

    private static InstanceAutoscaler Autoscaler(BatcherHarness h, InstanceScaling? scaling = null, int most = 4)
        => new(h.Batcher, scaling ?? Range, most, h.Time, h.Metrics.ForVersion("m", 1), NullLogger.Instance, "model 'm' version 1");

    // Every instance busy for the whole second that follows, then the clock moves (and the controller ticks).
    private static void Saturated(BatcherHarness h, int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            h.Batcher.Load.BatchRan(h.Batcher.Instances, h.Batcher.Instances * h.Time.TimestampFrequency);
            h.Time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task Saturated_GrowsByTheHpaRuleOncePerCoolDown_UpToMax()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(instances: 1));
        using var recorder = new MeasurementRecorder(h.Metrics);
        using var scaler = Autoscaler(h);

        Saturated(h, 29);
        Assert.Equal(1, h.Batcher.Instances); // inside the cool-down from the start

        // Utilisation 1 against 0.7: ceil(1 x 1/0.7) = 2, ceil(2 x 1/0.7) = 3, ceil(3 x 1/0.7) = 5, capped at 4.
        Saturated(h, 1);
        Assert.Equal(2, h.Batcher.Instances);
        Saturated(h, 29);
        Assert.Equal(2, h.Batcher.Instances);
        Saturated(h, 1);
        Assert.Equal(3, h.Batcher.Instances);
        Saturated(h, 30);
        Assert.Equal(4, h.Batcher.Instances);
        Saturated(h, 60);
        Assert.Equal(4, h.Batcher.Instances);

        var ups = recorder.Of("usher_instance_scaling");
        Assert.Equal(3, ups.Count);
        Assert.All(ups, m => Assert.Equal("up", m.Labels["direction"]));
    }

    [Fact]
    public async Task Idle_ShrinksToMin_AfterTheCoolDown()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(instances: 1));
        using var recorder = new MeasurementRecorder(h.Metrics);
        using var scaler = Autoscaler(h, Range with { Min = 2 });
        h.Batcher.SetInstances(4);

        h.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(4, h.Batcher.Instances);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, h.Batcher.Instances);
        Assert.Equal("down", Assert.Single(recorder.Of("usher_instance_scaling")).Labels["direction"]);
    }

    [Fact]
    public async Task NearTheTarget_KeepsTheCount()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(instances: 1));
        using var scaler = Autoscaler(h);
        h.Batcher.SetInstances(2);

        // 2 instances busy 1.5 s of every 2 s: utilisation 0.75, 0.75 / 0.7 = 1.07, within the tolerance 0.1.
        for (var i = 0; i < 120; i++)
        {
            h.Batcher.Load.BatchRan(1, (long)(0.75 * h.Time.TimestampFrequency));
            h.Time.Advance(TimeSpan.FromSeconds(0.5));
        }

        Assert.Equal(0.75, h.Batcher.Load.Read().Utilization, 6);
        Assert.Equal(2, h.Batcher.Instances);
    }

    [Theory]
    [InlineData(1, 0.35, 1)]
    [InlineData(4, 0.35, 2)]
    [InlineData(4, 0.0, 1)]
    [InlineData(2, 1.0, 3)]
    [InlineData(3, 0.9, 4)]
    public async Task Desired_IsCeilOfCurrentTimesUtilisationOverTarget_Clamped(int current, double utilisation, int expected)
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(instances: 1));
        using var scaler = Autoscaler(h);

        Assert.Equal(expected, scaler.Desired(current, utilisation));
    }

    [Theory]
    [InlineData(1, 4, 1, 2, 2)]
    [InlineData(1, 4, 1, 16, 4)]
    [InlineData(1, 4, 2, 4, 2)]
    [InlineData(3, 4, 2, 2, 3)]
    public void CoreBound_FitsInstancesTimesThreadsInTheCores(int min, int max, int threads, int cores, int expected)
        => Assert.Equal(expected, InstanceAutoscaler.CoreBound(new InstanceScaling { Min = min, Max = max }, threads, cores));

    [Fact]
    public async Task Shrinking_UnderRunningBatches_FinishesThem_ThenRunsOneAtATime()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, instances: 2));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 1));
        var second = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 2));
        await BatcherHarness.Until(() => h.Running == 2, "both instances run");

        h.Batcher.SetInstances(1);
        var third = h.EnqueueFromAnotherThread(BatcherHarness.Request(1, start: 3));
        await BatcherHarness.Until(() => h.Batcher.Pending == 1, "the third request is queued");
        h.Release();

        var results = await Task.WhenAll(first, second, third);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal([2f, 4f, 6f], results.Select(r => r.Value!.Outputs[0].AsSpan<float>()[0]).Order());

        h.Hold();
        lock (h.Batches)
        {
            h.MaxRunning = 0;
        }

        var fourth = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        var fifth = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1 && h.Batcher.Pending == 1, "one runs, one waits");
        h.Release();
        await Task.WhenAll(fourth, fifth);
        Assert.Equal(1, h.MaxRunning);
    }

    [Fact]
    public async Task Growing_StartsAnExecutorThatTakesQueuedWork()
    {
        await using var h = new BatcherHarness(BatcherHarness.Settings(maxBatch: 1, instances: 1));
        h.Hold();
        var first = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Running == 1, "the only instance runs");
        var second = h.EnqueueFromAnotherThread(BatcherHarness.Request(1));
        await BatcherHarness.Until(() => h.Batcher.Pending == 1, "the second request waits");

        h.Batcher.SetInstances(2);
        await BatcherHarness.Until(() => h.Running == 2, "a new instance takes the queued request");
        h.Release();
        Assert.All(await Task.WhenAll(first, second), r => Assert.True(r.IsSuccess));
    }
}
