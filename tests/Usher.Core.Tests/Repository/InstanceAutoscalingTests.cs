using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Core.Tests.Scheduling;
using Usher.Testing;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// <c>instances: {min, max, ...}</c> on a real ONNX Runtime session of the fraud sample, on fake time:
/// each run takes 100 ms of the fake clock, so a model under continuous load is busy all the time.
/// </summary>
public sealed class InstanceAutoscalingTests : IAsyncDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly UsherMetrics _metrics = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly ClockedBackend _backend;
    private ModelManager? _models;

    public InstanceAutoscalingTests() => _backend = new ClockedBackend(new OnnxBackend(), _time);

    public async ValueTask DisposeAsync()
    {
        _backend.Release();
        if (_models is not null)
        {
            await _models.DisposeAsync();
        }

        _metrics.Dispose();
        _repo.Dispose();
    }

    private static float[] Features(int seed) => [.. Enumerable.Range(0, 30).Select(i => ((i * 7) + seed) % 13 / 13f)];

    private static InferenceRequest Row(int seed) => new()
    {
        ModelName = "fraud",
        Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], Features(seed))],
    };

    private static void AssertAnswered(InferenceResult<InferenceResponse> answered, int seed)
    {
        Assert.True(answered.IsSuccess, answered.IsSuccess ? null : answered.Error.Message);
        var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(1), Features(seed)));
        var probabilities = answered.Value!.Outputs.First(o => o.DataType == DataType.Fp32).AsSpan<float>();
        Assert.Equal(expected[0], probabilities[0], 1e-5);
        Assert.Equal(expected[1], probabilities[1], 1e-5);
    }

    [SkippableFact]
    public async Task UnderLoad_GrowsToMax_ThenIdle_ShrinksToMin_AndRequestsInFlightComplete()
    {
        Skip.If(Environment.ProcessorCount < 2, "two instances need two cores");
        Directory.CreateDirectory(_repo.Combine("fraud", "1"));
        await File.WriteAllBytesAsync(_repo.Combine("fraud", "1", "model.onnx"), SampleModels.BuildFraud(1));
        await File.WriteAllTextAsync(_repo.Combine("fraud", "config.yaml"), "instances: { min: 1, max: 2, target_utilisation: 0.6, cool_down_seconds: 10 }\n");
        _models = new ModelManager(_backend, new RepositoryOptions { Path = _repo.Path }, scheduling: new SchedulingContext(new SchedulingOptions(), _metrics, _time));
        await _models.LoadAllAsync(CancellationToken.None);
        var version = _models.Find("fraud")!.Find(1)!.Loaded!;
        Assert.Equal(1, version.Batcher.Instances);
        Assert.Equal(2, version.Autoscaler!.MostInstances);

        // Three clients without pause: the one instance is busy all the time (utilisation 1 > 0.6).
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 3).Select(c => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                AssertAnswered(await version.InferAsync(Row(c), CancellationToken.None), c);
            }
        })).ToArray();
        await BatcherHarness.Until(() => version.Batcher.Instances == 2, "the version grows to its max");
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        // Two requests held inside the backend, one on each instance, while the version goes idle.
        _backend.Hold();
        var held = Enumerable.Range(10, 2).Select(seed => Task.Run(async () => (seed, await version.InferAsync(Row(seed), CancellationToken.None)))).ToArray();
        await BatcherHarness.Until(() => _backend.Running == 2, "both instances run a request");
        for (var second = 0; second < 30 && version.Batcher.Instances > 1; second++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(1, version.Batcher.Instances);
        Assert.Equal(2, _backend.Running);
        _backend.Release();
        foreach (var (seed, answered) in await Task.WhenAll(held))
        {
            AssertAnswered(answered, seed);
        }

        // One instance now: of two requests, one runs and one waits.
        _backend.Hold();
        var next = Enumerable.Range(20, 2).Select(seed => Task.Run(async () => (seed, await version.InferAsync(Row(seed), CancellationToken.None)))).ToArray();
        await BatcherHarness.Until(() => _backend.Running == 1 && version.Pending == 1, "one request runs, one waits");
        _backend.Release();
        foreach (var (seed, answered) in await Task.WhenAll(next))
        {
            AssertAnswered(answered, seed);
        }
    }
}
