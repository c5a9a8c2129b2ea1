using Microsoft.Extensions.Time.Testing;
using Usher.Core.Caching;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;
using static Usher.Core.Tests.Caching.CacheRequests;

namespace Usher.Core.Tests.Caching;

public sealed class PredictionCacheTests
{
    // An FP32 [4] output: 16 data bytes + 8 for its one dimension + 96 per tensor; + 256 per entry.
    private const long OutputBytes = 16 + 8 + 96;
    private const long EntryOverhead = 256;

    private readonly FakeTimeProvider _time = new();

    private PredictionCache Cache(long maxBytes = 1 << 20, double? ttlSeconds = null)
        => new(new CacheConfig { Enabled = true, MaxBytes = maxBytes, TtlSeconds = ttlSeconds }, _time);

    // Keys of known length, so sizes can be counted by hand.
    private static CacheKey Key(byte tag, int length = 100, UInt128? hash = null)
    {
        var bytes = new byte[length];
        bytes[0] = tag;
        return new CacheKey(hash ?? tag, bytes);
    }

    private static IReadOnlyList<Tensor> Outputs(float value) => [Fp32("y", [4], value, value, value, value)];

    private static Func<Task<InferenceResult<IReadOnlyList<Tensor>>>> Returning(IReadOnlyList<Tensor> outputs)
        => () => Task.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success(outputs));

    private static async Task<IReadOnlyList<Tensor>> Put(PredictionCache cache, CacheKey key, float value)
    {
        var outputs = Outputs(value);
        var result = await cache.GetOrComputeAsync(key, Returning(outputs));
        Assert.True(result.IsSuccess);
        return outputs;
    }

    [Fact]
    public async Task TryGet_AfterASuccessfulCompute_ReturnsTheSameTensors()
    {
        var cache = Cache();
        var outputs = await Put(cache, Key(1), 1f);

        Assert.True(cache.TryGet(Key(1), out var cached));
        Assert.Same(outputs, cached);
        Assert.False(cache.TryGet(Key(2), out _));
        Assert.Equal(1, cache.Count);
        Assert.Equal(100 + OutputBytes + EntryOverhead, cache.Bytes);
    }

    [Fact]
    public async Task GetOrComputeAsync_OnAHit_DoesNotCompute()
    {
        var cache = Cache();
        var outputs = await Put(cache, Key(1), 1f);

        var result = await cache.GetOrComputeAsync(Key(1), () => throw new InvalidOperationException("computed on a hit"));
        Assert.Same(outputs, result.Value);
    }

    [Fact]
    public async Task GetOrComputeAsync_OnAHashCollision_NeverReturnsTheOtherEntry()
    {
        var cache = Cache();
        var a = Key(1, hash: 42);
        var b = Key(2, hash: 42);
        Assert.Equal(a.Hash, b.Hash);
        Assert.NotEqual(a, b);
        var first = await Put(cache, a, 1f);

        Assert.False(cache.TryGet(b, out _));
        var second = Outputs(2f);
        var computed = 0;
        var result = await cache.GetOrComputeAsync(b, () =>
        {
            computed++;
            return Task.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success(second));
        });

        Assert.Equal(1, computed);
        Assert.Same(second, result.Value);
        Assert.True(cache.TryGet(a, out var cachedA));
        Assert.Same(first, cachedA);
        Assert.True(cache.TryGet(b, out var cachedB));
        Assert.Same(second, cachedB);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public async Task GetOrComputeAsync_OverMaxBytes_EvictsTheLeastRecentlyUsed()
    {
        const long entry = 100 + OutputBytes + EntryOverhead;   // 476 bytes
        var cache = Cache(maxBytes: (2 * entry) + (entry / 2));
        await Put(cache, Key(1), 1f);
        await Put(cache, Key(2), 2f);
        Assert.True(cache.TryGet(Key(1), out _));             // 1 is now more recent than 2

        await Put(cache, Key(3), 3f);

        Assert.False(cache.TryGet(Key(2), out _));
        Assert.True(cache.TryGet(Key(1), out _));
        Assert.True(cache.TryGet(Key(3), out _));
        Assert.Equal(2, cache.Count);
        Assert.Equal(2 * entry, cache.Bytes);
    }

    [Fact]
    public async Task GetOrComputeAsync_ForAnEntryLargerThanMaxBytes_ReturnsItWithoutCaching()
    {
        var cache = Cache(maxBytes: 100 + OutputBytes + EntryOverhead - 1);
        var outputs = Outputs(1f);

        var result = await cache.GetOrComputeAsync(Key(1), Returning(outputs));

        Assert.Same(outputs, result.Value);
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public async Task Bytes_CountsBytesOutputsElementByElement()
    {
        var cache = Cache();
        IReadOnlyList<Tensor> outputs = [Tensor.FromStrings("s", [2], [[1, 2, 3], [4]])];
        await cache.GetOrComputeAsync(Key(1, length: 10), Returning(outputs));

        // key 10 + entry 256 + tensor 96 + one dimension 8 + elements (32 + 3) + (32 + 1)
        Assert.Equal(10 + 256 + 96 + 8 + 35 + 33, cache.Bytes);
    }

    [Fact]
    public async Task TryGet_AfterTheTtl_MissesAndRemovesTheEntry()
    {
        var cache = Cache(ttlSeconds: 10);
        await Put(cache, Key(1), 1f);

        _time.Advance(TimeSpan.FromSeconds(9.999));
        Assert.True(cache.TryGet(Key(1), out _));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGet(Key(1), out _));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public async Task GetOrComputeAsync_AfterTheTtl_ComputesAgain()
    {
        var cache = Cache(ttlSeconds: 1);
        await Put(cache, Key(1), 1f);
        _time.Advance(TimeSpan.FromSeconds(1));

        var fresh = Outputs(2f);
        var result = await cache.GetOrComputeAsync(Key(1), Returning(fresh));

        Assert.Same(fresh, result.Value);
        Assert.True(cache.TryGet(Key(1), out var cached));
        Assert.Same(fresh, cached);
    }

    [Fact]
    public async Task GetOrComputeAsync_ForConcurrentCallersOfOneKey_ComputesOnce()
    {
        var cache = Cache();
        var gate = new TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var computed = 0;
        Task<InferenceResult<IReadOnlyList<Tensor>>> Compute()
        {
            Interlocked.Increment(ref computed);
            return gate.Task;
        }

        // Twenty threads of their own, released together, so the calls really overlap.
        using var start = new Barrier(20);
        var callers = Enumerable.Range(0, 20)
            .Select(_ => Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    return cache.GetOrComputeAsync(Key(1), Compute);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default))
            .ToArray();
        var pending = await Task.WhenAll(callers);
        Assert.All(pending, task => Assert.False(task.IsCompleted));

        var outputs = Outputs(1f);
        gate.SetResult(InferenceResult<IReadOnlyList<Tensor>>.Success(outputs));
        var results = await Task.WhenAll(pending);

        Assert.Equal(1, computed);
        Assert.All(results, result => Assert.Same(outputs, result.Value));
        Assert.True(cache.TryGet(Key(1), out var cached));
        Assert.Same(outputs, cached);
    }

    [Fact]
    public async Task GetOrComputeAsync_ForAnotherKeyWhileOneComputes_DoesNotWait()
    {
        var cache = Cache();
        var gate = new TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>>();
        var held = cache.GetOrComputeAsync(Key(1), () => gate.Task);

        var other = await cache.GetOrComputeAsync(Key(2), Returning(Outputs(2f)));

        Assert.True(other.IsSuccess);
        Assert.False(held.IsCompleted);
        gate.SetResult(InferenceResult<IReadOnlyList<Tensor>>.Success(Outputs(1f)));
        await held;
    }

    [Fact]
    public async Task GetOrComputeAsync_WhenComputeFails_SharesTheFailureAndDoesNotCacheIt()
    {
        var cache = Cache();
        var gate = new TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>>();
        var computed = 0;
        var first = cache.GetOrComputeAsync(Key(1), () => { computed++; return gate.Task; });
        var second = cache.GetOrComputeAsync(Key(1), () => { computed++; return gate.Task; });

        gate.SetResult(InferenceError.Internal("backend failed"));
        Assert.Equal("backend failed", (await first).Error?.Message);
        Assert.Equal("backend failed", (await second).Error?.Message);
        Assert.Equal(1, computed);
        Assert.Equal(0, cache.Count);

        var outputs = Outputs(1f);
        var retried = await cache.GetOrComputeAsync(Key(1), () => { computed++; return Returning(outputs)(); });
        Assert.Equal(2, computed);
        Assert.Same(outputs, retried.Value);
    }

    [Fact]
    public async Task GetOrComputeAsync_WhenComputeThrows_RethrowsToEveryCallerAndComputesAgainNextTime()
    {
        var cache = Cache();
        var gate = new TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>>();
        var first = cache.GetOrComputeAsync(Key(1), () => gate.Task);
        var second = cache.GetOrComputeAsync(Key(1), () => throw new InvalidOperationException("not the first caller's compute"));

        gate.SetException(new InvalidOperationException("session lost"));
        Assert.Equal("session lost", (await Assert.ThrowsAsync<InvalidOperationException>(() => first)).Message);
        Assert.Equal("session lost", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message);
        Assert.Equal(0, cache.Count);

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetOrComputeAsync(Key(1), () => throw new InvalidOperationException("sync")));
        var outputs = await Put(cache, Key(1), 1f);
        Assert.True(cache.TryGet(Key(1), out var cached));
        Assert.Same(outputs, cached);
    }

    [Fact]
    public async Task Clear_RemovesEverythingAndKeepsComputesStartedBeforeOut()
    {
        var cache = Cache();
        await Put(cache, Key(1), 1f);
        var gate = new TaskCompletionSource<InferenceResult<IReadOnlyList<Tensor>>>();
        var running = cache.GetOrComputeAsync(Key(2), () => gate.Task);

        cache.Clear();
        gate.SetResult(InferenceResult<IReadOnlyList<Tensor>>.Success(Outputs(2f)));
        Assert.True((await running).IsSuccess);

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
        Assert.False(cache.TryGet(Key(1), out _));
        Assert.False(cache.TryGet(Key(2), out _));
    }
}
