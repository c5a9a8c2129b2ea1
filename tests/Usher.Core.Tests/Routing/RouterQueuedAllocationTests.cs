using Usher.Backends.Onnx;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Xunit.Abstractions;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// The allocation budget of routing a request that queues: the version's one instance is busy, so the
/// request suspends, and each async method it passes through boxes its state on the caller's thread at
/// that moment (at concurrency 64 with batching off, most requests take this path). Measured on the
/// calling thread from the call to the pending task it returns, routed against calling the version
/// directly, so the queue entry and the version's own steps cancel out. Optimized builds only, like
/// <see cref="RouterAllocationTests"/>.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class RouterQueuedAllocationTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>
    /// Bytes routing may add to a request that queues: the boxed states of the router's async steps
    /// that outlive the suspension. 736 B measured while the entry step (<c>RouteAsync</c>) was an async
    /// method that only awaited the others; 528 B once it returned their task; 304 B since the routed step
    /// runs the version itself (acquire, infer, release) instead of awaiting a second async method.
    /// </summary>
    public const long QueuedBudget = 320;

    private const int Rounds = 8;
    private readonly BlockingRunBackend _backend = new(new OnnxBackend());
    private RoutedFraud _fraud = null!;
    private ModelManager _models = null!;
    private InferenceRouter _router = null!;
    private InferenceRequest _request = null!;

    public async Task InitializeAsync()
    {
        _fraud = await RoutedFraud.StartAsync(_backend);
        (_models, _router, _request) = (_fraud.Models, _fraud.Router, _fraud.Request);
    }

    public async Task DisposeAsync()
    {
        _backend.Hold.Set();
        await _fraud.DisposeAsync();
    }

    [SkippableFact]
    public async Task Routing_ARequestThatQueues_AddsAtMostTheBudget()
    {
        Skip.IfNot(RouterAllocationTests.Optimized, "allocation budgets are checked on an optimized build (-c Release)");
        var version = _models.Find("fraud")!.Find(1)!.Loaded!;
        var hints = new RouteHints("user-7");

        // The lowest of several rounds: a one-off (a method tiering up, a pool growing) lands in one round, a per-request cost in all.
        var routed = long.MaxValue;
        var direct = long.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            routed = Math.Min(routed, await QueuedCost(() => _router.InferAsync(_request, hints, CancellationToken.None), r => r.Result.IsSuccess));
            Assert.True(version.TryAcquire());
            try
            {
                direct = Math.Min(direct, await QueuedCost(() => version.InferAsync(_request, CancellationToken.None), r => r.IsSuccess));
            }
            finally
            {
                version.Release();
            }
        }

        var added = routed - direct;
        output.WriteLine($"a queued request: routed {routed} B, direct {direct} B, routing adds {added} B");
        Assert.True(direct > 0, "calling the version directly allocated nothing: the request did not queue");
        Assert.True(added <= QueuedBudget, $"routing a request that queues allocated {added} bytes more than calling the version directly; budget {QueuedBudget}");
    }

    // Holds the instance with one request, then measures what starting a second (which must queue)
    // allocates on this thread, up to the pending task it returns.
    private async Task<long> QueuedCost<T>(Func<ValueTask<T>> start, Func<T, bool> succeeded)
    {
        _backend.Hold.Reset();
        _backend.Running.Reset();
        var holder = Task.Run(() => _router.InferAsync(_request, default, CancellationToken.None).AsTask());
        Assert.True(_backend.Running.Wait(TimeSpan.FromSeconds(30)), "the first request never reached the model");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var queued = start();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(queued.IsCompleted, "the second request did not queue behind the busy instance");

        _backend.Hold.Set();
        Assert.True((await holder).Result.IsSuccess);
        Assert.True(succeeded(await queued));
        return allocated;
    }
}
