using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Core.Tests.Telemetry;
using Usher.Testing;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// The warm-up at load runs each version's whole pipeline (validation, batcher, backend, response),
/// and nothing of it reaches what clients and the control plane read: <c>/metrics</c>, the cache,
/// the route observers.
/// </summary>
public sealed class PipelineWarmupTests : IAsyncDisposable
{
    private static readonly string[] RequestInstruments =
    [
        "usher_inference_request_success", "usher_inference_request_failure", "usher_inference_request_duration",
        "usher_inference_queue_duration", "usher_inference_compute_duration", "usher_inference_count",
        "usher_inference_exec_count", "usher_inference_batch_size", "usher_cache_hits", "usher_cache_misses",
    ];

    private readonly TempDirectory _repo = new();
    private readonly UsherMetrics _metrics = new();
    private readonly MeasurementRecorder _recorder;
    private readonly CountingBackend _backend = new(new OnnxBackend());
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private ModelManager? _models;

    public PipelineWarmupTests() => _recorder = new MeasurementRecorder(_metrics);

    public async ValueTask DisposeAsync()
    {
        if (_models is not null)
        {
            await _models.DisposeAsync();
        }

        _recorder.Dispose();
        _metrics.Dispose();
        _repo.Dispose();
    }

    private async Task<ModelManager> LoadFraudAsync(string? config = null, params long[] versions)
    {
        foreach (var version in versions.DefaultIfEmpty(1))
        {
            Directory.CreateDirectory(_repo.Combine("fraud", $"{version}"));
            await File.WriteAllBytesAsync(_repo.Combine("fraud", $"{version}", "model.onnx"), SampleModels.BuildFraud((int)version));
        }

        if (config is not null)
        {
            await File.WriteAllTextAsync(_repo.Combine("fraud", "config.yaml"), config);
        }

        _models = new ModelManager(_backend, new RepositoryOptions { Path = _repo.Path }, scheduling: new SchedulingContext(new SchedulingOptions(), _metrics, _time));
        await _models.LoadAllAsync(CancellationToken.None);
        Assert.True(_models.IsReady, _models.Find("fraud")?.Reason);
        return _models;
    }

    private static InferenceRequest Row(long? version = null) => new()
    {
        ModelName = "fraud",
        ModelVersion = version,
        Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], Enumerable.Range(0, 30).Select(i => i / 30f).ToArray())],
    };

    // The request counters are observable (read from the version's totals): observe them now.
    private List<MeasurementRecorder.Recorded> RequestMeasurements()
    {
        _recorder.Clear();
        _recorder.Observe();
        return _recorder.Measurements.Where(m => RequestInstruments.Contains(m.Instrument)).ToList();
    }

    [Fact]
    public async Task Load_WithNoWarmupConfigured_RunsZerosThroughTheWholePipeline_AndRecordsNoMetric()
    {
        var models = await LoadFraudAsync();

        // Once on the session alone, then the pipeline runs (the fake clock never uses up their time budget).
        Assert.Equal(1 + ModelVersionLoader.PipelineRuns, _backend.Runs);
        Assert.Empty(RequestMeasurements());
        var version = models.Find("fraud")!.Find(1)!.Loaded!;
        Assert.Equal(0, version.Batcher.ExecutionTime.Samples);

        // The version records again once it is published: a client's request counts once.
        var answered = await version.InferAsync(Row(), CancellationToken.None);
        Assert.True(answered.IsSuccess);
        Assert.Equal(2 + ModelVersionLoader.PipelineRuns, _backend.Runs);
        Assert.NotEmpty(RequestMeasurements());
        var success = Assert.Single(_recorder.Of("usher_inference_request_success"));
        Assert.Equal(1, success.Value);
        Assert.Equal(1, Assert.Single(_recorder.Of("usher_inference_exec_count")).Value);
        Assert.Equal(1, version.Batcher.ExecutionTime.Samples);
    }

    [Fact]
    public async Task Load_WithAConfiguredSample_RunsItsCountOnTheSession_ThenThroughThePipeline()
    {
        await LoadFraudAsync("""
            max_batch_size: 64
            warmup:
              - name: ones
                batch_size: 4
                count: 3
                inputs:
                  features: { random: true }
            """);

        Assert.Equal(3 + ModelVersionLoader.PipelineRuns, _backend.Runs);
        Assert.Empty(RequestMeasurements());
    }

    [Fact]
    public async Task Load_WithAQueueDelay_WarmsUpOnTheSessionAlone_RatherThanWaitingForABatch()
    {
        // On the fake clock the delay never passes: a warm-up request in the queue would hold the load forever.
        var models = await LoadFraudAsync("""
            max_batch_size: 64
            dynamic_batching: { max_queue_delay_microseconds: 1000 }
            """).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, _backend.Runs);
        Assert.Empty(RequestMeasurements());
        Assert.Equal(0, models.Find("fraud")!.Find(1)!.Loaded!.Pending);
    }

    [Fact]
    public async Task Load_WithTheCache_LeavesTheCacheEmpty_SoTheFirstClientRequestIsAMiss()
    {
        var models = await LoadFraudAsync("""
            max_batch_size: 64
            cache: { enabled: true }
            """);
        var version = models.Find("fraud")!.Find(1)!.Loaded!;
        Assert.Equal(0, version.Cache!.Bytes);

        // The warm-up request is zeros: a client sending zeros must still run the model.
        var zeros = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], new float[30])] };
        var answered = await version.InferAsync(zeros, CancellationToken.None);

        Assert.True(answered.IsSuccess);
        Assert.False(answered.Value.Timings.CacheHit);
        Assert.Equal(2 + ModelVersionLoader.PipelineRuns, _backend.Runs);
        Assert.NotEmpty(RequestMeasurements());
        Assert.Equal(1, Assert.Single(_recorder.Of("usher_cache_misses")).Value);
        Assert.Empty(_recorder.Of("usher_cache_hits"));
    }

    [Fact]
    public async Task LoadingANewVersion_UnderAnObservedEndpoint_HandsTheObserversNothingOfTheWarmup()
    {
        var models = await LoadFraudAsync();
        var routes = new EndpointRoutes();
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        var router = new InferenceRouter(models, routes, new FaultInjector(_time), _time);
        await using var observations = router.Observations;
        var observer = new CountingObserver();
        router.Observer = observer;
        Assert.True((await router.InferAsync(Row(), new RouteHints("user-1"), CancellationToken.None)).Result.IsSuccess);
        observations.CatchUp();
        Assert.Equal(1, observer.Observed);
        _recorder.Clear();

        // Version 2 arrives (as a rollout's candidate does) and warms up while the endpoint is observed.
        Directory.CreateDirectory(_repo.Combine("fraud", "2"));
        await File.WriteAllBytesAsync(_repo.Combine("fraud", "2", "model.onnx"), SampleModels.BuildFraud(2));
        await File.WriteAllTextAsync(_repo.Combine("fraud", "config.yaml"), "version_policy: { all: {} }\n");
        await models.PollOnceAsync(CancellationToken.None);
        Assert.NotNull(models.Find("fraud")!.Find(2)?.Loaded);
        observations.CatchUp();

        Assert.Equal(1, observer.Observed);

        // The counters are cumulative totals: version 1 keeps its one request, version 2 has none.
        Assert.DoesNotContain(RequestMeasurements(), m => m.Labels["version"] == "2");
        Assert.Equal(1, Assert.Single(_recorder.Of("usher_inference_request_success")).Value);
    }

    private sealed class CountingObserver : IRouteObserver
    {
        private int _observed;

        public int Observed => Volatile.Read(ref _observed);

        public ObservationNeeds Needs(string endpoint, string? routingKey) => endpoint == "fraud" ? ObservationNeeds.Outcome : ObservationNeeds.None;

        public void Observe(in RouteObservation observation) => Interlocked.Increment(ref _observed);
    }
}
