using BenchmarkDotNet.Attributes;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Tensors;

namespace Usher.Benchmarks.Scheduling;

/// <summary>
/// The engine without HTTP: 64 concurrent one-row requests to <c>mlp-large</c> through a version
/// with dynamic batching off, on (max_queue_delay 0) and on with a 1 ms delay, and the same 64 rows as one direct ONNX
/// Runtime batch (the compute limit). Shows what batching buys when compute is the bottleneck.
/// </summary>
[MemoryDiagnoser]
public class MlpLargeBatchingBenchmarks
{
    private const int Concurrency = 64;
    private string _repository = null!;
    private ModelManager _off = null!;
    private ModelManager _on = null!;
    private ModelVersion _offVersion = null!;
    private ModelVersion _onVersion = null!;
    private ModelManager _delayed = null!;
    private ModelVersion _delayedVersion = null!;
    private InferenceRequest _row = null!;
    private InferenceRequest _batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repository = Path.Combine(Path.GetTempPath(), "usher-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var off = Path.Combine(_repository, "off");
        var on = Path.Combine(_repository, "on");
        var delayed = Path.Combine(_repository, "delayed");
        SampleModels.Generate(delayed, includeLarge: true, overwrite: true);
        File.WriteAllText(Path.Combine(delayed, "mlp-large", "config.yaml"), "dynamic_batching: { max_queue_delay_microseconds: 1000 }\n");
        _delayed = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = delayed });
        _delayed.LoadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        _delayedVersion = _delayed.Acquire("mlp-large", null).Value!;
        SampleModels.Generate(off, includeLarge: true, overwrite: true);
        SampleModels.Generate(on, includeLarge: true, overwrite: true);
        File.WriteAllText(Path.Combine(on, "mlp-large", "config.yaml"), "dynamic_batching: { max_queue_delay_microseconds: 0 }\n");
        _off = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = off });
        _on = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = on });
        _off.LoadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        _on.LoadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        _offVersion = _off.Acquire("mlp-large", null).Value!;
        _onVersion = _on.Acquire("mlp-large", null).Value!;
        var values = Enumerable.Range(0, 1024).Select(i => (float)Math.Sin(i)).ToArray();
        _row = new InferenceRequest { ModelName = "mlp-large", Inputs = [Tensor.FromSpan<float>("input", DataType.Fp32, [1, 1024], values)] };
        var rows = Enumerable.Repeat(values, Concurrency).SelectMany(v => v).ToArray();
        _batch = new InferenceRequest { ModelName = "mlp-large", Inputs = [Tensor.FromSpan<float>("input", DataType.Fp32, [Concurrency, 1024], rows)] };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _offVersion.Release();
        _onVersion.Release();
        _delayedVersion.Release();
        _delayed.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _off.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _on.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_repository, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Concurrency)]
    public Task BatchingOff_64Concurrent() => RunConcurrent(_offVersion);

    [Benchmark(OperationsPerInvoke = Concurrency)]
    public Task BatchingOn_64Concurrent() => RunConcurrent(_onVersion);

    [Benchmark(OperationsPerInvoke = Concurrency)]
    public Task BatchingOnDelay1ms_64Concurrent() => RunConcurrent(_delayedVersion);

    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task OneBatchOf64_Limit() => await _offVersion.InferAsync(_batch, CancellationToken.None);

    private Task RunConcurrent(ModelVersion version)
    {
        var tasks = new Task[Concurrency];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Run(async () => await version.InferAsync(_row, CancellationToken.None));
        }

        return Task.WhenAll(tasks);
    }
}
