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
/// One latency measurement per request: what the rollout analysis reads from a routed request's
/// observation is the figure the version's request-duration histogram (<c>/metrics</c>) counted.
/// A real ONNX model on the real clock, so that every request has its own nonzero latency.
/// </summary>
public sealed class AnalysisLatencyTests : IAsyncDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly UsherMetrics _metrics = new();
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
    public async Task TheAnalysisAndMetrics_SeeTheSameLatencyForEachRequest()
    {
        Directory.CreateDirectory(_repo.Combine("fraud", "1"));
        await File.WriteAllBytesAsync(_repo.Combine("fraud", "1", "model.onnx"), SampleModels.BuildFraud(1));
        var time = TimeProvider.System;
        _models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = _repo.Path }, scheduling: new SchedulingContext(new SchedulingOptions(), _metrics, time));
        await _models.LoadAllAsync(CancellationToken.None);
        var routes = new EndpointRoutes();
        routes.Publish(RouteTable.Single("fraud", "fraud", 1));
        var router = new InferenceRouter(_models, routes, new FaultInjector(time), time, _metrics);
        await using var observations = router.Observations;
        var observer = new LatencyObserver();
        router.Observer = observer;
        var totals = Assert.Single(_metrics.Totals);
        var before = new long[totals.RequestDuration.Buckets];
        var sumBefore = totals.RequestDuration.Read(before);

        const int Requests = 40;
        for (var i = 0; i < Requests; i++)
        {
            var request = new InferenceRequest
            {
                ModelName = "fraud",
                Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], Enumerable.Range(0, 30).Select(j => (i + j) / 30f).ToArray())],
            };
            Assert.True((await router.InferAsync(request, new RouteHints($"user-{i}"), CancellationToken.None)).Result.IsSuccess);
        }

        observations.CatchUp();

        // The analysis's figures, bucketed here by the documented bounds, against the histogram's.
        var seen = observer.Latencies;
        Assert.Equal(Requests, seen.Count);
        Assert.All(seen, ms => Assert.True(ms > 0, "a real request takes time"));
        var expected = new long[UsherMetrics.LatencyBuckets.Count + 1];
        foreach (var ms in seen)
        {
            var i = 0;
            while (i < UsherMetrics.LatencyBuckets.Count && ms / 1000 > UsherMetrics.LatencyBuckets[i])
            {
                i++;
            }

            expected[i]++;
        }

        var after = new long[totals.RequestDuration.Buckets];
        var sumAfter = totals.RequestDuration.Read(after);
        Assert.Equal(expected, after.Zip(before, (a, b) => a - b).ToArray());

        // Milliseconds from the same ticks: the sums agree to a tick per request.
        Assert.InRange(Math.Abs((seen.Sum() * TimeSpan.TicksPerMillisecond) - (sumAfter - sumBefore)), 0, Requests);
        Assert.Equal(Requests, totals.Succeeded);
    }

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
