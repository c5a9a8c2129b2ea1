using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Core.Tests.Routing;
using Xunit.Abstractions;

namespace Usher.Core.Tests.Scheduling;

/// <summary>
/// The batcher's allocation budget for a lone request (an idle instance runs it on the caller's
/// thread), batching off and on (adaptive): the queue entry, its completion, the result. The
/// backend here returns a ready answer, so every byte counted is the batcher's. Checked on an
/// optimized build only (see <see cref="RouterAllocationTests"/>); docs/benchmarks.md states it.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class BatcherAllocationTests(ITestOutputHelper output)
{
    /// <summary>Bytes the batcher may allocate to run one lone request.</summary>
    public const long LoneRequestBudget = 512;

    private const int Requests = 5_000;

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(32)]
    public async Task ALoneRequest_AllocatesAtMostTheBudget(int maxBatch)
    {
        Skip.IfNot(RouterAllocationTests.Optimized, "allocation budgets are checked on an optimized build (-c Release)");
        IReadOnlyList<Tensor> answer = [Tensor.FromSpan<float>("y", DataType.Fp32, [1, 2], [1f, 2f])];
        var settings = new BatcherSettings { MaxBatchSize = maxBatch, Policies = [new ResolvedQueuePolicy(64, null, false, TimeoutAction.Reject)] };
        await using var batcher = new DynamicBatcher(settings, (_, _) => answer, "m", new ModelMetrics(), new MemoryBudget(1L << 30), TimeProvider.System);
        var request = BatcherHarness.Request(1);
        for (var i = 0; i < 500; i++)
        {
            Run(batcher, request);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Requests; i++)
        {
            Run(batcher, request);
        }

        var perRequest = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Requests;
        output.WriteLine($"a lone request allocates {perRequest:F1} B in the batcher (max_batch_size {maxBatch})");
        Assert.True(perRequest <= LoneRequestBudget, $"a lone request allocated {perRequest:F1} bytes in the batcher (max_batch_size {maxBatch}); budget {LoneRequestBudget}");
        Assert.True(perRequest > 0, "the measurement saw no allocation at all: it measured nothing");
    }

    private static void Run(DynamicBatcher batcher, ValidatedRequest request)
    {
        var task = batcher.EnqueueAsync(request, 1, null, CancellationToken.None);
        Assert.True(task.IsCompletedSuccessfully, "the lone request did not run on the caller's thread");
        Assert.True(task.Result.IsSuccess);
    }
}
