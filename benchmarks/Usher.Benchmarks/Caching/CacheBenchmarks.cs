using BenchmarkDotNet.Attributes;
using Usher.Core.Caching;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Benchmarks.Caching;

/// <summary>Key creation and hits of the prediction cache.</summary>
[MemoryDiagnoser]
public class CacheBenchmarks
{
    private PredictionCache _cache = null!;
    private PredictionCache _rounding = null!;
    private ValidatedRequest _fraud = null!;
    private ValidatedRequest _wide = null!;
    private CacheKey _fraudKey = null!;
    private Func<Task<InferenceResult<IReadOnlyList<Tensor>>>> _compute = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cache = new PredictionCache(new CacheConfig { Enabled = true }, TimeProvider.System);
        _rounding = new PredictionCache(new CacheConfig { Enabled = true, RoundDecimals = 4 }, TimeProvider.System);
        _fraud = Request("features", 30);
        _wide = Request("pixels", 1024);
        _fraudKey = _cache.CreateKey("fraud", 1, _fraud);
        IReadOnlyList<Tensor> outputs = [Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [0.9f, 0.1f])];
        _compute = () => Task.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success(outputs));
        _cache.GetOrComputeAsync(_fraudKey, _compute).GetAwaiter().GetResult();
    }

    [Benchmark]
    public object CreateKey_Fraud30Fp32() => _cache.CreateKey("fraud", 1, _fraud);

    [Benchmark]
    public object CreateKey_Fraud30Fp32_Rounded() => _rounding.CreateKey("fraud", 1, _fraud);

    [Benchmark]
    public object CreateKey_1024Fp32() => _cache.CreateKey("wide", 1, _wide);

    [Benchmark]
    public object CreateKey_1024Fp32_Rounded() => _rounding.CreateKey("wide", 1, _wide);

    [Benchmark]
    public bool TryGet_Hit() => _cache.TryGet(_fraudKey, out _);

    [Benchmark]
    public Task GetOrComputeAsync_Hit() => _cache.GetOrComputeAsync(_fraudKey, _compute);

    [Benchmark]
    public bool CreateKeyThenTryGet_Fraud30Fp32() => _cache.TryGet(_cache.CreateKey("fraud", 1, _fraud), out _);

    private static ValidatedRequest Request(string input, int width)
    {
        var values = new float[width];
        var random = new Random(7);
        for (var i = 0; i < width; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        Tensor[] inputs = [Tensor.FromSpan<float>(input, DataType.Fp32, [1, width], values)];
        var request = new InferenceRequest { ModelName = "m", Inputs = inputs };
        return new ValidatedRequest(request, inputs, ["probabilities"], ["probabilities"], 1);
    }
}
