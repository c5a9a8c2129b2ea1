using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Shadow;

public sealed class ShadowMirrorTests
{
    private static readonly ShadowTarget Target = new("fraud", 2, 100, QueueCapacity: 4);

    [Fact]
    public async Task Offer_WhenTheQueueIsFull_DropsTheCopy_AndCountsIt_WithoutWaiting()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var metrics = new UsherMetrics();
        var dropped = new List<string>();
        using var listener = Listen(metrics, dropped);
        await using var mirror = new ShadowMirror(
            async ValueTask<InferenceResult<InferenceResponse>> (target, request, ct) =>
            {
                started.TrySetResult();
                await release.Task.WaitAsync(ct);
                return InferenceResult<InferenceResponse>.Success(Answer(target.Version));
            },
            new FakeTimeProvider(),
            metrics);
        mirror.Start("fraud", Target);

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the worker holds the first copy
        for (var i = 0; i < 10; i++)
        {
            mirror.Offer("fraud", "fraud:1", "k" + i, Request(), Answer(1), 1);
        }

        Assert.Equal((0L, 6L, 0L, 4), Numbers(mirror.Counts("fraud")));
        Assert.Equal(6, dropped.Count(o => o == "dropped"));

        release.SetResult();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (mirror.Counts("fraud").Mirrored < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal((5L, 6L, 0L, 0), Numbers(mirror.Counts("fraud")));
        Assert.Equal(5, dropped.Count(o => o == "mirrored"));
    }

    [Fact]
    public async Task Offer_CopiesTheInputs_SoALentBufferReusedAfterTheAnswerDoesNotReachTheShadow()
    {
        var seen = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var mirror = new ShadowMirror(
            async ValueTask<InferenceResult<InferenceResponse>> (target, request, ct) =>
            {
                await release.Task.WaitAsync(ct);
                seen.TrySetResult(request.Inputs[0].AsSpan<float>().ToArray());
                Assert.Equal((2L, "fraud"), (request.ModelVersion!.Value, request.ModelName));
                return InferenceResult<InferenceResponse>.Success(Answer(target.Version));
            },
            new FakeTimeProvider());
        mirror.Start("fraud", Target);
        var buffer = new byte[30 * sizeof(float)];
        BitConverter.GetBytes(1.5f).CopyTo(buffer, 0);
        var lent = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromBytes("features", DataType.Fp32, [1, 30], buffer)] };

        mirror.Offer("fraud", "fraud:1", "k", lent, Answer(1), 1);
        Array.Clear(buffer); // the frontend reuses its buffer once the client has its answer
        release.SetResult();

        var copied = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1.5f, copied[0]);
    }

    [Fact]
    public async Task Worker_WhileThePrimaryIsBusy_HoldsTheCopy_AndRunsItOnlyOnceTheInstancesAreIdle()
    {
        var time = new TimerSignallingTime();
        var busy = true;
        var probes = System.Threading.Channels.Channel.CreateUnbounded<bool>();
        var ran = 0;
        var pairs = new PairSink();
        await using var mirror = new ShadowMirror(
            (target, request, ct) =>
            {
                Interlocked.Increment(ref ran);
                return ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version)));
            },
            time,
            idle: (endpoint, target) =>
            {
                Assert.Equal(("fraud", Target), (endpoint, target));
                var idle = !Volatile.Read(ref busy);
                probes.Writer.TryWrite(idle);
                return idle;
            })
        { Observer = pairs };
        mirror.Start("fraud", Target);

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);

        // Busy: the worker looks, does not run the copy, and waits one pace on the injected clock.
        Assert.False(await probes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(ShadowMirror.Pace);
        Assert.False(await probes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.Equal(1, mirror.Counts("fraud").Queued);
        Assert.Equal(2, mirror.Counts("fraud").Deferred);

        // Idle at the next look: the copy runs, and its pair is recorded.
        Volatile.Write(ref busy, false);
        time.Advance(ShadowMirror.Pace);
        Assert.True(await probes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        var pair = await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((1, "fraud:1", 2L), (Volatile.Read(ref ran), pair.Primary, pair.ShadowResponse!.ModelVersion));
    }

    [Fact]
    public async Task HandOver_WhileTheWorkerPaces_WakesNobody_AndTheNextLookRunsTheQueuedCopiesTogether()
    {
        var time = new TimerSignallingTime();
        var ranAt = new List<(string Id, DateTimeOffset At)>();
        var pairs = new PairSink(expected: 5);
        await using var mirror = new ShadowMirror(
            (target, request, ct) =>
            {
                lock (ranAt)
                {
                    ranAt.Add((request.Id!, time.GetUtcNow()));
                }

                return ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version)));
            },
            time)
        { Observer = pairs };
        mirror.Start("fraud", Target);
        var start = time.GetUtcNow();

        // The first copy runs at once (it wakes the worker if it already sleeps on its empty queue).
        mirror.Offer("fraud", "fraud:1", "k", Request("r0"), Answer(1), 1);
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30)); // ran it, now waits one pace
        Assert.True(mirror.Counts("fraud").Waiting);
        var wakes = mirror.Counts("fraud").Wakes;

        // While it paces, hand-overs only queue: none wakes it (the request's thread makes no system call).
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(mirror.TryHandOver("fraud", "fraud:1", Request("r" + i), Answer(1), 1, default));
        }

        Assert.Equal((1L, 0L, 0L, 3), Numbers(mirror.Counts("fraud")));
        Assert.Equal(wakes, mirror.Counts("fraud").Wakes);

        // One pace later, one look runs the three together.
        time.Advance(ShadowMirror.Pace);
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((4L, 0L, 0L, 0), Numbers(mirror.Counts("fraud")));

        // The next look finds the queue empty and the worker sleeps: the next copy wakes it and runs
        // without the clock moving (whether or not the worker was asleep yet when it was handed over).
        time.Advance(ShadowMirror.Pace);
        mirror.Offer("fraud", "fraud:1", "k", Request("r4"), Answer(1), 1);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var pace = ShadowMirror.Pace;
        Assert.Equal(
            new[] { ("r0", start), ("r1", start + pace), ("r2", start + pace), ("r3", start + pace), ("r4", start + pace + pace) },
            ranAt);
        Assert.InRange(mirror.Counts("fraud").Wakes, wakes, wakes + 1);
    }

    [Fact]
    public async Task Offer_WhenTheShadowFallsBehindABusyPrimary_DropsAndCountsWhatTheQueueCannotHold_AndNeverRunsIt()
    {
        var time = new TimerSignallingTime();
        var busy = true;
        var ran = new List<string>();
        using var metrics = new UsherMetrics();
        var outcomes = new List<string>();
        using var listener = Listen(metrics, outcomes);
        var pairs = new PairSink(expected: 3);
        await using var mirror = new ShadowMirror(
            (target, request, ct) =>
            {
                lock (ran)
                {
                    ran.Add(request.Id!);
                }

                return ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version)));
            },
            time,
            metrics,
            idle: (_, _) => !Volatile.Read(ref busy))
        { Observer = pairs };
        mirror.Start("fraud", Target with { QueueCapacity = 3 });

        for (var i = 0; i < 10; i++)
        {
            mirror.Offer("fraud", "fraud:1", "k" + i, Request("r" + i), Answer(1), 1);
        }

        // The worker takes nothing while the primary is busy: the queue holds the first 3, the other 7 are dropped.
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((0L, 7L, 0L, 3), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Dropped, mirror.Counts("fraud").Failed, mirror.Counts("fraud").Queued));
        Assert.Equal(7, outcomes.Count(o => o == "dropped"));

        Volatile.Write(ref busy, false);
        time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { "r0", "r1", "r2" }, ran);
        Assert.Equal((3L, 7L, 0), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Dropped, mirror.Counts("fraud").Queued));
    }

    [Fact]
    public async Task Worker_RunsTheCopyAndTheComparison_OnTheShadowsOwnThread_AtThePriorityOfTheThreadThatStartedIt()
    {
        var ranOn = new TaskCompletionSource<(string? Name, bool Pool, (int Policy, int Prio)? Scheduling)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pairs = new PairSink();
        await using var mirror = new ShadowMirror(
            (target, request, ct) =>
            {
                ranOn.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread, KernelSchedulingOfThisThread()));
                return ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version)));
            },
            new FakeTimeProvider())
        { Observer = pairs };
        mirror.Start("fraud", Target);

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);

        var (name, pool, scheduling) = await ranOn.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("usher-shadow", false), (name, pool));
        Assert.Equal(("usher-shadow", false), (pairs.ObservedOn, pairs.ObservedOnPool));

        // Read back from the kernel (/proc): the same policy and priority as this test's thread. A
        // shadow thread the kernel schedules last (SCHED_IDLE: policy 5; nice 19: prio 139) stalls
        // every garbage collection that catches it off the CPU in .NET code.
        Assert.Equal(KernelSchedulingOfThisThread(), scheduling);
    }

    [Fact]
    public async Task Worker_OfEachShadowedEndpoint_WaitsForIdleInstances_ThenRunsItsCopy()
    {
        var time = new TimerSignallingTime();
        var busy = 1;
        var pairs = new PairSink(expected: 2);
        await using var mirror = new ShadowMirror(
            (target, request, ct) => ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version))),
            time,
            idle: (_, _) => Volatile.Read(ref busy) == 0)
        { Observer = pairs };
        mirror.Start("fraud", Target);
        mirror.Start("churn", Target with { Model = "churn" });

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);
        mirror.Offer("churn", "churn:1", "k", Request(), Answer(1), 1);

        // Both threads wait on the injected clock while the primary is busy; then both run their copy.
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((0L, 0L), (mirror.Counts("fraud").Mirrored, mirror.Counts("churn").Mirrored));
        Volatile.Write(ref busy, 0);
        time.Advance(ShadowMirror.Pace);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((1L, 1L), (mirror.Counts("fraud").Mirrored, mirror.Counts("churn").Mirrored));
    }

    [Fact]
    public async Task TryHandOver_QueuesTheRoutersCopyForTheEndpointsShadow_AndRefusesAnEndpointWithoutOne()
    {
        var pairs = new PairSink();
        await using var mirror = new ShadowMirror(
            (target, request, ct) => ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version))),
            new FakeTimeProvider())
        { Observer = pairs };
        mirror.Start("fraud", Target);

        Assert.False(mirror.TryHandOver("churn", "churn:1", Request("c"), Answer(1), 1, default));
        Assert.True(mirror.TryHandOver("fraud", "fraud:1", Request("r1"), Answer(1), 2.5, default));

        var pair = await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("r1", "fraud:1", 2.5, 2L), (pair.Request.Id, pair.Primary, pair.PrimaryLatencyMs, pair.ShadowResponse!.ModelVersion));
        Assert.Equal((1L, 0L), (mirror.Counts("fraud").Mirrored, mirror.Counts("churn").Mirrored));
    }

    [Fact]
    public void IsMirrored_IsStickyPerKey_AndCoversThePercentOfKeys()
    {
        var keys = Enumerable.Range(0, 20_000).Select(i => "user-" + i).ToList();
        var first = keys.Select(k => ShadowMirror.IsMirrored("fraud", k, 30)).ToList();
        var again = keys.Select(k => ShadowMirror.IsMirrored("fraud", k, 30)).ToList();

        Assert.Equal(first, again);
        Assert.InRange(first.Count(m => m) / (double)keys.Count, 0.28, 0.32);
        // Raising the share only adds keys: whoever was mirrored at 30% still is at 60%.
        Assert.All(keys.Where((_, i) => first[i]), k => Assert.True(ShadowMirror.IsMirrored("fraud", k, 60)));
    }

    private static MeterListener Listen(UsherMetrics metrics, List<string> outcomes)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "usher_shadow_requests")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    lock (outcomes)
                    {
                        outcomes.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        return listener;
    }

    // The calling thread's scheduling policy and priority as the kernel reports them, or null where there is no /proc.
    private static (int Policy, int Prio)? KernelSchedulingOfThisThread()
    {
        if (!File.Exists("/proc/thread-self/sched"))
        {
            return null;
        }

        var lines = File.ReadAllLines("/proc/thread-self/sched");
        int Field(string name)
        {
            var line = lines.First(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            return int.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return (Field("policy"), Field("prio"));
    }

    private static (long Mirrored, long Dropped, long Failed, int Queued) Numbers(ShadowCounts counts)
        => (counts.Mirrored, counts.Dropped, counts.Failed, counts.Queued);

    private static InferenceRequest Request(string? id = null) => new() { ModelName = "fraud", Id = id, Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], new float[30])] };

    private static InferenceResponse Answer(long version) => new()
    {
        ModelName = "fraud",
        ModelVersion = version,
        Outputs = [Tensor.FromSpan<long>("label", DataType.Int64, [1], [0L])],
    };
}
