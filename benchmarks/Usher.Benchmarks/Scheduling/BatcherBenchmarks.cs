using BenchmarkDotNet.Attributes;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Benchmarks.Scheduling;

/// <summary>
/// The scheduler's own cost, over a backend that returns its input: one request through the queue
/// and back (batching off), and 32 concurrent requests formed into batches (batching on). The
/// difference from calling the backend directly is what the queue, the executor hand-off and the
/// batch assembly cost per request. The batching-on batcher runs in the adaptive mode (no delay set).
/// </summary>
[MemoryDiagnoser]
public class BatcherBenchmarks
{
    private DynamicBatcher _single = null!;
    private DynamicBatcher _batching = null!;
    private ValidatedRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var metrics = new UsherMetrics().ForVersion("bench", 1);
        var budget = new MemoryBudget(1L << 30);
        IReadOnlyList<Tensor> Echo(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs) => [inputs[0].WithName(outputs[0])];
        _single = new DynamicBatcher(Settings(maxBatch: 0), Echo, "bench", metrics, budget, TimeProvider.System);
        _batching = new DynamicBatcher(Settings(maxBatch: 32), Echo, "bench", metrics, budget, TimeProvider.System);
        var values = new float[30];
        var request = new InferenceRequest { ModelName = "bench", Inputs = [Tensor.FromSpan<float>("x", DataType.Fp32, [1, 30], values)] };
        _request = new ValidatedRequest(request, request.Inputs, ["y"], ["y"], 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _single.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _batching.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public async Task OneRequest_BatchingOff()
        => await _single.EnqueueAsync(_request, 1, null, CancellationToken.None);

    /// <summary>A lone request with batching on (the adaptive mode): it must cost what batching off costs.</summary>
    [Benchmark]
    public async Task OneRequest_BatchingOnAdaptive()
        => await _batching.EnqueueAsync(_request, 1, null, CancellationToken.None);

    [Benchmark(OperationsPerInvoke = 32)]
    public async Task ThirtyTwoConcurrentRequests_BatchingOn()
    {
        var tasks = new Task<InferenceResult<BatchResult>>[32];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _batching.EnqueueAsync(_request, 1, null, CancellationToken.None).AsTask();
        }

        await Task.WhenAll(tasks);
    }

    private static BatcherSettings Settings(int maxBatch) => new()
    {
        MaxBatchSize = maxBatch,
        Policies = [new ResolvedQueuePolicy(4096, null, false, TimeoutAction.Reject)],
        Instances = 1,
    };
}
