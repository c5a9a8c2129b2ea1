using System.Diagnostics;
using System.Reflection;
using Usher.Backends.Onnx;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Xunit.Abstractions;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// Allocation budgets of the routed request path (docs/benchmarks.md states them). Each test
/// measures the bytes one thread allocates over a loop of requests that complete synchronously
/// (an idle instance runs a lone request on the caller's thread), routed and unrouted, and checks
/// what routing adds per request. The model's own work (ONNX Runtime, the response) is the same in
/// both loops and cancels out; the observation channel's task runs on another thread and is not
/// counted, which is the point: it is not the request's cost. A Debug build allocates every async
/// state machine, so the budgets are checked on an optimized build only (CI runs
/// <c>dotnet test tests/Usher.Core.Tests -c Release --filter Category=AllocationBudget</c>).
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class RouterAllocationTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// Bytes routing may add to a request, on average, when nothing observes the endpoint: below the
    /// smallest object (24 B), so any allocation per request fails, while a one-off in the loop (a
    /// timer, a method tiering up: up to 16 KB over the loop) does not.
    /// </summary>
    public const long NoRolloutBudget = 8;

    /// <summary>
    /// Bytes routing may add, on average, while an analysis window observes the endpoint: the
    /// observation is a struct in the channel's slots, but a write that wakes the channel's parked
    /// reader schedules it on the thread pool, which may allocate on the request's thread (0 B when
    /// the reader is busy, up to 82 B measured when it is woken for every request). Still less than
    /// a request copy (about 350 B), and nothing without a rollout.
    /// </summary>
    public const long AnalysisBudget = 128;

    private const int Requests = 2_000;
    private const int Warmup = 200;
    private const int Rounds = 5;
    private RoutedFraud _fraud = null!;
    private ModelManager _models = null!;
    private InferenceRouter _router = null!;
    private InferenceRequest _request = null!;

    public async Task InitializeAsync()
    {
        _fraud = await RoutedFraud.StartAsync(new OnnxBackend());
        (_models, _router, _request) = (_fraud.Models, _fraud.Router, _fraud.Request);
    }

    public async Task DisposeAsync() => await _fraud.DisposeAsync();

    /// <summary>Whether the engine was compiled with optimizations (async state machines are structs only then).</summary>
    public static bool Optimized => typeof(InferenceRouter).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;

    [SkippableFact]
    public void Routing_WithNoRollout_AddsNoAllocation()
    {
        Skip.IfNot(Optimized, "allocation budgets are checked on an optimized build (-c Release)");
        var added = RoutingCost();
        output.WriteLine($"routing adds {added:F1} B/request with no observer");
        Assert.True(added <= NoRolloutBudget, $"routing a request with no rollout allocated {added:F1} bytes more than running it unrouted; budget {NoRolloutBudget}");
    }

    [SkippableFact]
    public void Routing_UnderAnAnalysisWindow_AddsAtMostTheBudget_AndTheObserverSeesEveryRequest()
    {
        Skip.IfNot(Optimized, "allocation budgets are checked on an optimized build (-c Release)");
        var observer = new CountingObserver(ObservationNeeds.Outcome);
        _router.Observer = observer;

        var added = RoutingCost();
        _router.Observations.CatchUp();

        output.WriteLine($"routing adds {added:F1} B/request under an analysis window");
        Assert.True(added <= AnalysisBudget, $"routing a request under an analysis window allocated {added:F1} bytes more than running it unrouted; budget {AnalysisBudget}");
        Assert.Equal(observer.Seen + _router.Observations.Dropped, Measured(Rounds));
        Assert.Equal(0, observer.WithRequest);
    }

    [Fact]
    public void Routing_WhenAnObserverAsksForRequests_CopiesThem_AndOnlyThen()
    {
        var observer = new CountingObserver(ObservationNeeds.Outcome | ObservationNeeds.Request);
        _router.Observer = observer;

        var added = RoutingCost();
        _router.Observations.CatchUp();

        // The copy owns its bytes: 30 floats, a shape, a tensor, an input list and a request.
        output.WriteLine($"routing adds {added:F1} B/request when requests are copied");
        Assert.True(added >= 120, $"a request copy of 120 data bytes cannot cost {added:F1} bytes");
        Assert.Equal(observer.Seen, observer.WithRequest);
        Assert.True(observer.Seen > 0);
    }

    // The warm-up and the measured loops run through the router: how many it routed in total.
    private static long Measured(int loops) => Warmup + (Requests * loops);

    private double RoutingCost()
    {
        var version = _models.Find("fraud")!.Find(1)!.Loaded!;
        var hints = new RouteHints("user-7");
        for (var i = 0; i < Warmup; i++)
        {
            Route(hints);
            Direct(version);
        }

        // The lowest of several runs each: a one-off (a channel segment, a method tiering up, a
        // timer) lands in one run and not the next, while a per-request cost is in every run.
        var direct = long.MaxValue;
        var routed = long.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            _router.Observations.CatchUp();
            routed = Math.Min(routed, Measure(() => Route(hints)));
            direct = Math.Min(direct, Measure(() => Direct(version)));
        }

        return (routed - direct) / (double)Requests;
    }

    private static long Measure(Action run)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Requests; i++)
        {
            run();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private void Route(RouteHints hints)
    {
        var pending = _router.InferAsync(_request, hints, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully, "the request did not complete on the caller's thread; the measurement would miss its allocations");
        Assert.True(pending.Result.Result.IsSuccess);
    }

    private void Direct(ModelVersion version)
    {
        Assert.True(version.TryAcquire());
        try
        {
            var pending = version.InferAsync(_request, CancellationToken.None);
            Assert.True(pending.IsCompletedSuccessfully);
            Assert.True(pending.Result.IsSuccess);
        }
        finally
        {
            version.Release();
        }
    }

    private sealed class CountingObserver(ObservationNeeds needs) : IRouteObserver
    {
        public long Seen;
        public long WithRequest;

        public ObservationNeeds Needs(string endpoint, string? routingKey) => needs;

        public void Observe(in RouteObservation observation)
        {
            Seen++;
            if (observation.Request is not null)
            {
                WithRequest++;
            }
        }
    }
}
