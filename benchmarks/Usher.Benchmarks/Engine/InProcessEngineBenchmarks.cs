using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Samples;
using Usher.Engine;

namespace Usher.Benchmarks.Engine;

/// <summary>
/// One row of <c>fraud</c> (30 features in, 2 probabilities out), side by side: a bare ONNX Runtime
/// session with the input and output bound once (<c>RunWithBinding</c>, the floor), the plain
/// <c>InferenceSession.Run</c> a user would write, the engine's fast path
/// (<see cref="ModelSession.Run(ReadOnlySpan{float}, Span{float})"/>) and the engine's queued path
/// (<see cref="UsherEngine.InferAsync(string, InferenceInput, CancellationToken)"/>). The overheads
/// are the differences from the floor. All run the same file with one intra-op thread. On a shared,
/// loaded machine the minimum of the iterations is the steadier figure, so it is shown too.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class InProcessEngineBenchmarks
{
    private readonly float[] _features = new float[SampleModels.FraudFeatures];
    private readonly float[] _probabilities = new float[2];
    private string _repository = null!;
    private InferenceSession _raw = null!;
    private RunOptions _runOptions = null!;
    private OrtIoBinding _binding = null!;
    private OrtValue _boundInput = null!;
    private OrtValue _boundOutput = null!;
    private float[] _pinnedInput = null!;
    private float[] _pinnedOutput = null!;
    private string[] _inputNames = null!;
    private string[] _outputNames = null!;
    private UsherEngine _engine = null!;
    private ModelSession _session = null!;
    private InferenceInput _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < _features.Length; i++)
        {
            _features[i] = (float)Math.Sin(i);
        }

        _repository = Path.Combine(Path.GetTempPath(), "usher-bench-engine-" + Guid.NewGuid().ToString("N")[..8]);
        var file = Path.Combine(_repository, "fraud", "1", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, SampleModels.BuildFraud(2));

        // One intra-op thread on both sides (the best for a model this small), so compute is equal
        // and the differences are the paths' own costs.
        File.WriteAllText(Path.Combine(_repository, "fraud", "config.yaml"), "max_batch_size: 64\nonnxruntime: { intra_op_threads: 1 }\n");
        using (var options = new SessionOptions { IntraOpNumThreads = 1 })
        {
            _raw = new InferenceSession(file, options);
        }

        _runOptions = new RunOptions();
        _inputNames = [.. _raw.InputNames];
        _outputNames = [_raw.OutputNames[0]];
        _pinnedInput = GC.AllocateArray<float>(_features.Length, pinned: true);
        _pinnedOutput = GC.AllocateArray<float>(2, pinned: true);
        _boundInput = OrtValue.CreateTensorValueFromMemory(_pinnedInput, [1, _features.Length]);
        _boundOutput = OrtValue.CreateTensorValueFromMemory(_pinnedOutput, [1, 2]);
        _binding = _raw.CreateIoBinding();
        _binding.BindInput(_inputNames[0], _boundInput);
        _binding.BindOutput(_outputNames[0], _boundOutput);

        _engine = UsherEngine.OpenAsync(_repository).GetAwaiter().GetResult();
        _session = _engine.GetSession("fraud");
        _input = new InferenceInput("features", _features, [1, _features.Length]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _binding.Dispose();
        _boundInput.Dispose();
        _boundOutput.Dispose();
        _runOptions.Dispose();
        _raw.Dispose();
        Directory.Delete(_repository, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public float RawOrtBound()
    {
        _features.CopyTo(_pinnedInput, 0);
        _raw.RunWithBinding(_runOptions, _binding);
        return _pinnedOutput[1];
    }

    [Benchmark]
    public float RawOrtRun()
    {
        using var input = OrtValue.CreateTensorValueFromMemory(_features, [1, _features.Length]);
        using var outputs = _raw.Run(_runOptions, _inputNames, [input], _outputNames);
        return outputs[0].GetTensorDataAsSpan<float>()[1];
    }

    [Benchmark]
    public float EngineFastPath()
    {
        _session.Run(_features, _probabilities);
        return _probabilities[1];
    }

    [Benchmark]
    public async Task<float> EngineInferAsync()
    {
        using var result = await _engine.InferAsync("fraud", _input);
        return result.Output<float>("probabilities")[1];
    }
}
