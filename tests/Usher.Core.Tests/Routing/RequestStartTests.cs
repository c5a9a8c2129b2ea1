using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Core.Tests.Routing;

/// <summary>
/// A frontend passes the timestamp it took when the request arrived, and that one measurement is what
/// the version records (<c>/metrics</c>), the answer carries (<c>Server-Timing</c>'s total) and the
/// analysis reads: the frontend's time before the router and the router's own (an injected delay)
/// both count. The real <c>fraud</c> model on a fake clock, which moves only where the test moves it,
/// so each figure is known exactly.
/// </summary>
public sealed class RequestStartTests : IAsyncDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly UsherMetrics _metrics = new();
    private readonly FakeTimeProvider _time = new();
    private ModelManager? _models;

    public async ValueTask DisposeAsync()
    {
        if (_models is not null)
        {
            await _models.DisposeAsync();
        }

        _metrics.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task InferAsync_FromTheFrontendsStart_CountsTheTimeBeforeAndInsideTheRouter_InEveryFigure()
    {
        var (router, faults, observer) = await StartAsync();
        await using var observations = router.Observations;
        faults.Set("fraud:1", new FaultSpec(DelayMs: 20, DelayFraction: 1));
        var totals = Assert.Single(_metrics.Totals);
        var buckets = new long[totals.RequestDuration.Buckets];
        var sumBefore = totals.RequestDuration.Read(buckets);

        // 7 ms pass between the frontend's timestamp and its call (reading and decoding the body), then
        // the injected delay holds the request 20 ms on the same clock; queue and compute take no time.
        var started = router.Clock.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(7));
        var pending = router.InferAsync(Request(), new RouteHints("user-1"), started, CancellationToken.None).AsTask();
        Assert.False(pending.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(20));
        var routed = await pending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(routed.Result.IsSuccess);
        var timings = routed.Result.Value!.Timings;
        Assert.Equal(TimeSpan.FromMilliseconds(27), timings.Total);
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero), (timings.Queue, timings.Compute));
        Assert.Equal(TimeSpan.FromMilliseconds(27).Ticks, totals.RequestDuration.Read(buckets) - sumBefore);
        observations.CatchUp();
        Assert.Equal(27.0, Assert.Single(observer.Latencies));
    }

    [Fact]
    public async Task InferAsync_WithoutAStart_MeasuresFromTheRoutersCall()
    {
        var (router, faults, observer) = await StartAsync();
        await using var observations = router.Observations;
        faults.Set("fraud:1", new FaultSpec(DelayMs: 20, DelayFraction: 1));

        _time.Advance(TimeSpan.FromMilliseconds(7));
        var pending = router.InferAsync(Request(), new RouteHints("user-1"), CancellationToken.None).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(20));
        var routed = await pending.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(routed.Result.IsSuccess);
        Assert.Equal(TimeSpan.FromMilliseconds(20), routed.Result.Value!.Timings.Total);
        observations.CatchUp();
        Assert.Equal(20.0, Assert.Single(observer.Latencies));
    }

    private async Task<(InferenceRouter Router, FaultInjector Faults, LatencyObserver Observer)> StartAsync()
    {
        Directory.CreateDirectory(_repo.Combine("fraud", "1"));
        await File.WriteAllBytesAsync(_repo.Combine("fraud", "1", "model.onnx"), SampleModels.BuildFraud(1));
        _models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = _repo.Path }, scheduling: new SchedulingContext(new SchedulingOptions(), _metrics, _time));
        await _models.LoadAllAsync(CancellationToken.None);
        var routes = new EndpointRoutes();
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        var faults = new FaultInjector(_time);
        var router = new InferenceRouter(_models, routes, faults, _time, _metrics);
        var observer = new LatencyObserver();
        router.Observer = observer;
        return (router, faults, observer);
    }

    private static InferenceRequest Request() => new()
    {
        ModelName = "fraud",
        Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], new float[30])],
    };

    private sealed class LatencyObserver : IRouteObserver
    {
        private readonly List<double> _latencies = [];

        public IReadOnlyList<double> Latencies
        {
            get
            {
                lock (_latencies)
                {
                    return [.. _latencies];
                }
            }
        }

        public ObservationNeeds Needs(string endpoint, string? routingKey) => ObservationNeeds.Outcome;

        public void Observe(in RouteObservation observation)
        {
            lock (_latencies)
            {
                _latencies.Add(observation.LatencyMs);
            }
        }
    }
}
