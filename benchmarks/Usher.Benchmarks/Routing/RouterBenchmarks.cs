using BenchmarkDotNet.Attributes;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.Benchmarks.Routing;

/// <summary>
/// What routing adds to one <c>fraud</c> request (ONNX Runtime, one row, the batcher's inline path):
/// the version called directly (the baseline), routed with no rollout, routed under an analysis
/// window (the outcome goes to the observation channel), and routed while the request is copied for
/// replays or a shadow. Allocated bytes per operation are the budget figures of docs/benchmarks.md;
/// the channel's reader runs on its own task, so its work is not in these numbers.
/// </summary>
[MemoryDiagnoser]
public class RouterBenchmarks
{
    private string _repository = null!;
    private ModelManager _models = null!;
    private ModelVersion _version = null!;
    private InferenceRouter _plain = null!;
    private InferenceRouter _window = null!;
    private InferenceRouter _copying = null!;
    private InferenceRequest _request = null!;
    private RouteHints _hints;

    [GlobalSetup]
    public void Setup()
    {
        _repository = Path.Combine(Path.GetTempPath(), "usher-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(_repository, "fraud", "1"));
        File.WriteAllBytes(Path.Combine(_repository, "fraud", "1", "model.onnx"), SampleModels.BuildFraud(1));
        _models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = _repository });
        _models.LoadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        _version = _models.Find("fraud")!.Find(1)!.Loaded!;
        var routes = new EndpointRoutes();
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        _plain = Router(routes, null);
        _window = Router(routes, new Sink(ObservationNeeds.Outcome));
        _copying = Router(routes, new Sink(ObservationNeeds.Outcome | ObservationNeeds.Request));
        var row = Enumerable.Range(0, 30).Select(i => i / 30f).ToArray();
        _request = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], row)] };
        _hints = new RouteHints("user-7");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var router in new[] { _plain, _window, _copying })
        {
            router.Observations.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _models.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_repository, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public async Task<bool> Version_Direct()
    {
        _version.TryAcquire();
        try
        {
            return (await _version.InferAsync(_request, CancellationToken.None)).IsSuccess;
        }
        finally
        {
            _version.Release();
        }
    }

    [Benchmark]
    public async Task<bool> Routed_NoRollout() => (await _plain.InferAsync(_request, _hints, CancellationToken.None)).Result.IsSuccess;

    [Benchmark]
    public async Task<bool> Routed_AnalysisWindow() => (await _window.InferAsync(_request, _hints, CancellationToken.None)).Result.IsSuccess;

    [Benchmark]
    public async Task<bool> Routed_CopyingRequests() => (await _copying.InferAsync(_request, _hints, CancellationToken.None)).Result.IsSuccess;

    private InferenceRouter Router(EndpointRoutes routes, IRouteObserver? observer)
        => new(_models, routes, new FaultInjector(TimeProvider.System), TimeProvider.System) { Observer = observer };

    private sealed class Sink(ObservationNeeds needs) : IRouteObserver
    {
        public ObservationNeeds Needs(string endpoint, string? routingKey) => needs;

        public void Observe(in RouteObservation observation)
        {
        }
    }
}
