using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
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

        Assert.Equal(new ShadowCounts(0, 6, 0, 4), mirror.Counts("fraud"));
        Assert.Equal(6, dropped.Count(o => o == "dropped"));

        release.SetResult();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (mirror.Counts("fraud").Mirrored < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.Equal(new ShadowCounts(5, 6, 0, 0), mirror.Counts("fraud"));
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
    public async Task Worker_WithoutIdlePriority_WhileThePrimaryIsBusy_HoldsTheCopy_AndRunsItOnlyOnceTheInstancesAreIdle()
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
            },
            lowerPriority: Refused)
        { Observer = pairs };
        mirror.Start("fraud", Target);

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);

        // Busy: the worker looks, does not run the copy, and waits one poll on the injected clock.
        Assert.False(await probes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(ShadowMirror.IdlePoll);
        Assert.False(await probes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await time.TimerCreated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.Equal(1, mirror.Counts("fraud").Queued);
        Assert.Equal(2, mirror.Counts("fraud").Deferred);

        // Idle at the next look: the copy runs, and its pair is recorded.
        Volatile.Write(ref busy, false);
        time.Advance(ShadowMirror.IdlePoll);
        Assert.True(await probes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        var pair = await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((1, "fraud:1", 2L), (Volatile.Read(ref ran), pair.Primary, pair.ShadowResponse!.ModelVersion));
    }

    [Fact]
    public async Task Offer_WithoutIdlePriority_WhenTheShadowFallsBehindABusyPrimary_DropsAndCountsWhatTheQueueCannotHold_AndNeverRunsIt()
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
            idle: (_, _) => !Volatile.Read(ref busy),
            lowerPriority: Refused)
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
        time.Advance(ShadowMirror.IdlePoll);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { "r0", "r1", "r2" }, ran);
        Assert.Equal((3L, 7L, 0), (mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Dropped, mirror.Counts("fraud").Queued));
    }

    [Fact]
    public async Task Worker_OnAThreadOfIdlePriority_RunsEachCopyAtOnce_WithoutAskingWhetherThePrimaryIsBusy()
    {
        var probed = 0;
        var pairs = new PairSink(expected: 3);
        var time = new FakeTimeProvider();
        await using var mirror = new ShadowMirror(
            (target, request, ct) => ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version))),
            time,
            idle: (_, _) =>
            {
                Interlocked.Increment(ref probed);
                return false; // the primary is always busy: a gated worker would never run a copy
            },
            lowerPriority: () => (ShadowThreadPolicy.Idle, "test"))
        { Observer = pairs };
        mirror.Start("fraud", Target);

        for (var i = 0; i < 3; i++)
        {
            mirror.Offer("fraud", "fraud:1", "k" + i, Request("r" + i), Answer(1), 1);
        }

        // The clock never moves: no poll, no timer; the kernel's policy is the only gate.
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((0, 3L, 0L), (Volatile.Read(ref probed), mirror.Counts("fraud").Mirrored, mirror.Counts("fraud").Deferred));
        Assert.Equal(ShadowThreadPolicy.Idle, mirror.Policy("fraud"));
    }

    [Fact]
    public async Task Worker_RunsTheCopyAndTheComparison_OnTheShadowsOwnThread_WhichLinuxSchedulesAsIdle()
    {
        var ranOn = new TaskCompletionSource<(string? Name, bool Pool, int? Policy)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pairs = new PairSink();
        await using var mirror = new ShadowMirror(
            (target, request, ct) =>
            {
                ranOn.TrySetResult((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread, KernelPolicyOfThisThread()));
                return ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version)));
            },
            new FakeTimeProvider())
        { Observer = pairs };
        mirror.Start("fraud", Target);

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);

        var (name, pool, policy) = await ranOn.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await pairs.First.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("usher-shadow", false), (name, pool));
        Assert.Equal(("usher-shadow", false), (pairs.ObservedOn, pairs.ObservedOnPool));
        if (OperatingSystem.IsLinux())
        {
            // Read back from the kernel (/proc), not from what the mirror believes it set: 5 is SCHED_IDLE.
            Assert.Equal(5, policy);
            Assert.Equal(ShadowThreadPolicy.Idle, mirror.Policy("fraud"));
        }
        else
        {
            Assert.Equal(ShadowThreadPolicy.Normal, mirror.Policy("fraud"));
        }
    }

    [Fact]
    public async Task Worker_WhenIdlePriorityIsRefused_FallsBackToWaitingForIdleInstances_AndSaysSoOnceInTheLog()
    {
        var time = new TimerSignallingTime();
        var busy = 1;
        var logger = new EventLogger();
        var pairs = new PairSink(expected: 2);
        await using var mirror = new ShadowMirror(
            (target, request, ct) => ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version))),
            time,
            logger: logger,
            idle: (_, _) => Volatile.Read(ref busy) == 0,
            lowerPriority: Refused)
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
        time.Advance(ShadowMirror.IdlePoll);
        await pairs.All.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ShadowThreadPolicy.Nice, mirror.Policy("fraud"));
        Assert.Equal(1, logger.Count(LogEvents.ShadowGatedPriority));
        Assert.Equal(0, logger.Count(LogEvents.ShadowIdlePriority));
    }

    [Fact]
    public async Task Offer_WhenTheIdleThreadIsStarved_DropsAndCountsWhatTheQueueCannotHold()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        using var metrics = new UsherMetrics();
        var outcomes = new List<string>();
        using var listener = Listen(metrics, outcomes);
        await using var mirror = new ShadowMirror(
            (target, request, ct) =>
            {
                // The kernel gives the thread no CPU while requests want it: here, it is held.
                started.TrySetResult();
                release.Wait(ct);
                return ValueTask.FromResult(InferenceResult<InferenceResponse>.Success(Answer(target.Version)));
            },
            new FakeTimeProvider(),
            metrics,
            lowerPriority: () => (ShadowThreadPolicy.Idle, "test"));
        mirror.Start("fraud", Target with { QueueCapacity = 2 });

        mirror.Offer("fraud", "fraud:1", "k", Request(), Answer(1), 1);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 5; i++)
        {
            mirror.Offer("fraud", "fraud:1", "k" + i, Request(), Answer(1), 1);
        }

        Assert.Equal(new ShadowCounts(0, 3, 0, 2), mirror.Counts("fraud"));
        Assert.Equal(3, outcomes.Count(o => o == "dropped"));
        release.Set();
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

    private static (ShadowThreadPolicy Policy, string Detail) Refused() => (ShadowThreadPolicy.Nice, "SCHED_IDLE refused (test)");

    // The calling thread's scheduling policy as the kernel reports it, or null where there is no /proc.
    private static int? KernelPolicyOfThisThread()
    {
        if (!File.Exists("/proc/thread-self/sched"))
        {
            return null;
        }

        var line = File.ReadLines("/proc/thread-self/sched").First(l => l.StartsWith("policy", StringComparison.Ordinal));
        return int.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static InferenceRequest Request(string? id = null) => new() { ModelName = "fraud", Id = id, Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], new float[30])] };

    private static InferenceResponse Answer(long version) => new()
    {
        ModelName = "fraud",
        ModelVersion = version,
        Outputs = [Tensor.FromSpan<long>("label", DataType.Int64, [1], [0L])],
    };

    // Fake time that says when a timer was made, so that a test advances the clock only once the
    // worker waits on it.
    private sealed class TimerSignallingTime : FakeTimeProvider
    {
        public SemaphoreSlim TimerCreated { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.Release();
            return timer;
        }
    }

    private sealed class PairSink(int expected = 1) : IShadowObserver
    {
        private int _seen;

        public TaskCompletionSource<ShadowPair> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? ObservedOn { get; private set; }

        public bool ObservedOnPool { get; private set; }

        public void Observe(ShadowPair pair)
        {
            ObservedOn = Thread.CurrentThread.Name;
            ObservedOnPool = Thread.CurrentThread.IsThreadPoolThread;
            First.TrySetResult(pair);
            if (Interlocked.Increment(ref _seen) == expected)
            {
                All.TrySetResult();
            }
        }
    }

    private sealed class EventLogger : ILogger<ShadowMirror>
    {
        private readonly List<int> _events = [];

        public int Count(int eventId)
        {
            lock (_events)
            {
                return _events.Count(e => e == eventId);
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_events)
            {
                _events.Add(eventId.Id);
            }
        }
    }
}
