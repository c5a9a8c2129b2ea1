using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Telemetry;
using Usher.Testing;

namespace Usher.Server.Tests.Metrics;

// The exporter listens to every meter named "Usher" in the process; running alone keeps another
// test's server from adding to the fraud/2 series these tests count.
[CollectionDefinition(nameof(MetricsEndpointTests), DisableParallelization = true)]
public sealed class MetricsCollection;

[Collection(nameof(MetricsEndpointTests))]
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private static readonly (string, string) Model = ("model", "recorded"); // not a served model: the served ones report gauges of their own
    private static readonly (string, string) Version = ("version", "2");

    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        _app = await UsherApp.StartAsync(_repo.Path);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    private async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await _app.Client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Single(PrometheusText text, string name, params (string, string)[] labels)
        => Assert.Single(text.Find(name, [Model, Version, .. labels])).Value;

    [Fact]
    public async Task Metrics_AfterRecording_ExportsEveryDocumentedSeriesWithModelAndVersionLabels()
    {
        var version = _app.App.Services.GetRequiredService<UsherMetrics>().ForVersion("recorded", 2);
        version.BatchExecuted(8, TimeSpan.FromMilliseconds(3));
        version.BatchExecuted(3, TimeSpan.FromMilliseconds(1));
        version.Record(RequestObservation.Succeeded(queue: TimeSpan.FromMilliseconds(0.2), compute: TimeSpan.FromMilliseconds(3), total: TimeSpan.FromMilliseconds(4)));
        version.Record(RequestObservation.Succeeded(queue: TimeSpan.FromMilliseconds(30), compute: TimeSpan.FromMilliseconds(1), total: TimeSpan.FromMilliseconds(32)));
        version.Record(RequestObservation.Failed(FailureReason.Timeout));
        version.Record(RequestObservation.Failed(FailureReason.Timeout));
        version.Record(RequestObservation.Failed(FailureReason.Rejected));
        version.Record(RequestObservation.CacheHit(TimeSpan.FromMicroseconds(70)));
        version.CacheMiss();
        version.Observe(() => 3, () => 1024, () => 4, () => new LoadSignals(2, 0.25, TimeSpan.FromMilliseconds(1.5), 0.375));
        version.InstancesScaled(up: true);
        version.InstancesScaled(up: true);
        version.InstancesScaled(up: false);

        var text = await ScrapeAsync();

        Assert.Equal(2, Single(text, "usher_inference_request_success_total"));
        Assert.Equal(2, Single(text, "usher_inference_request_failure_total", ("reason", "timeout")));
        Assert.Equal(1, Single(text, "usher_inference_request_failure_total", ("reason", "rejected")));
        Assert.Equal(11, Single(text, "usher_inference_count_total"));
        Assert.Equal(2, Single(text, "usher_inference_exec_count_total"));
        Assert.Equal(1, Single(text, "usher_cache_hits_total"));
        Assert.Equal(1, Single(text, "usher_cache_misses_total"));
        Assert.Equal(3, Single(text, "usher_pending_requests"));
        Assert.Equal(1024, Single(text, "usher_cache_bytes"));
        Assert.Equal(0.25, Single(text, "usher_instance_utilization"));
        Assert.Equal(3, Single(text, "usher_queue_depth"));
        Assert.Equal(4, Single(text, "usher_in_flight_requests"));
        Assert.Equal(2, Single(text, "usher_instances"));
        Assert.Equal(0.0015, Single(text, "usher_estimated_wait_seconds"), 12);
        Assert.Equal(2, Single(text, "usher_instance_scaling_total", ("direction", "up")));
        Assert.Equal(1, Single(text, "usher_instance_scaling_total", ("direction", "down")));
        Assert.True(Assert.Single(text.Find("usher_saturation")).Value >= 0.375, "saturation is the highest version's");

        foreach (var counter in new[] { "usher_inference_request_success_total", "usher_inference_request_failure_total", "usher_inference_count_total", "usher_inference_exec_count_total", "usher_cache_hits_total", "usher_cache_misses_total" })
        {
            Assert.Equal("counter", text.Types[counter]);
        }

        foreach (var gauge in new[] { "usher_pending_requests", "usher_cache_bytes", "usher_instance_utilization", "usher_queue_depth", "usher_in_flight_requests", "usher_instances", "usher_estimated_wait_seconds", "usher_saturation" })
        {
            Assert.Equal("gauge", text.Types[gauge]);
        }

        // Histograms: name, recorded count, expected (bound, cumulative count) pairs computed by hand.
        AssertHistogram(text, "usher_batch_size", 2, 11, [("1", 0), ("2", 0), ("4", 1), ("8", 2), ("16", 2), ("32", 2), ("64", 2), ("128", 2), ("256", 2)]);
        AssertHistogram(text, "usher_queue_duration_seconds", 2, 0.0302, [("5E-05", 0), ("0.00025", 1), ("0.025", 1), ("0.05", 2), ("10", 2)]);
        AssertHistogram(text, "usher_compute_duration_seconds", 2, 0.004, [("0.0005", 0), ("0.001", 1), ("0.0025", 1), ("0.005", 2)]);
        AssertHistogram(text, "usher_request_duration_seconds", 2, 0.036, [("0.0025", 0), ("0.005", 1), ("0.025", 1), ("0.05", 2)]);
        AssertHistogram(text, "usher_batch_compute_duration_seconds", 2, 0.004, [("0.0005", 0), ("0.001", 1), ("0.005", 2)]);
        AssertHistogram(text, "usher_cache_hit_duration_seconds", 1, 0.00007, [("5E-05", 0), ("0.0001", 1)]);
    }

    private static void AssertHistogram(PrometheusText text, string name, long count, double sum, (string Le, long Cumulative)[] expected)
    {
        Assert.Equal("histogram", text.Types[name]);
        var buckets = text.Find(name + "_bucket", Model, Version);
        var bounds = buckets.Select(b => PrometheusText.ParseValue(b.Labels["le"])).ToList();
        Assert.Equal(double.PositiveInfinity, bounds[^1]);
        Assert.Equal(bounds.Order().ToList(), bounds);
        // Cumulative: never decreasing, +Inf equals _count.
        Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First.Value <= p.Second.Value), $"{name}: buckets are not cumulative");
        Assert.Equal(count, buckets[^1].Value);
        Assert.Equal(count, Single(text, name + "_count"));
        Assert.Equal(sum, Single(text, name + "_sum"), 9);
        foreach (var (le, cumulative) in expected)
        {
            Assert.Equal(cumulative, Assert.Single(buckets, b => b.Labels["le"] == le).Value);
        }
    }

    [Fact]
    public async Task Metrics_LatencyHistograms_HaveTheBucketsFrom50MicrosecondsTo10Seconds()
    {
        _app.App.Services.GetRequiredService<UsherMetrics>().ForVersion("recorded", 2)
            .Record(RequestObservation.Succeeded(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2)));

        var text = await ScrapeAsync();

        var bounds = text.Find("usher_request_duration_seconds_bucket", Model, Version)
            .Select(b => PrometheusText.ParseValue(b.Labels["le"]))
            .ToList();
        Assert.Equal([.. UsherMetrics.LatencyBuckets, double.PositiveInfinity], bounds);
        Assert.Equal(50e-6, bounds[0]);
        Assert.Equal(10, bounds[^2]);
    }

    [Fact]
    public async Task Metrics_AfterTheVersionIsDisposed_StopsReportingItsGauges()
    {
        // A model the server does not serve: the served versions report gauges of their own.
        var metrics = _app.App.Services.GetRequiredService<UsherMetrics>();
        var retired = metrics.ForVersion("gauges", 1);
        var live = metrics.ForVersion("gauges", 2);
        retired.Observe(() => 5, () => 10, () => 5, () => default);
        live.Observe(() => 3, () => 20, () => 3, () => default);
        Assert.Equal(5, Assert.Single((await ScrapeAsync()).Find("usher_pending_requests", ("model", "gauges"), ("version", "1"))).Value);

        retired.Dispose();

        var text = await ScrapeAsync();
        Assert.Empty(text.Find("usher_pending_requests", ("model", "gauges"), ("version", "1")));
        Assert.Empty(text.Find("usher_cache_bytes", ("model", "gauges"), ("version", "1")));
        Assert.Equal(3, Assert.Single(text.Find("usher_pending_requests", ("model", "gauges"), ("version", "2"))).Value);
    }

    [Fact]
    public async Task Metrics_UnderRealLoad_CountRequestsAndBatchesOfTheServedVersion()
    {
        var body = "{\"inputs\":[{\"name\":\"features\",\"shape\":[2,30],\"datatype\":\"FP32\",\"data\":" + System.Text.Json.JsonSerializer.Serialize(new float[60]) + "}]}";
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(body))));
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        var bad = await _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent("{\"inputs\":[{\"name\":\"features\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);

        var text = await ScrapeAsync();
        (string, string)[] served = [("model", "fraud"), ("version", "2")];
        Assert.Equal(5, Assert.Single(text.Find("usher_inference_request_success_total", served)).Value);
        Assert.Equal(1, Assert.Single(text.Find("usher_inference_request_failure_total", [.. served, ("reason", "invalid")])).Value);
        Assert.Equal(10, Assert.Single(text.Find("usher_inference_count_total", served)).Value);
        var executions = Assert.Single(text.Find("usher_inference_exec_count_total", served)).Value;
        Assert.Equal(executions, Assert.Single(text.Find("usher_batch_size_count", served)).Value);
        Assert.Equal(10, Assert.Single(text.Find("usher_batch_size_sum", served)).Value);
        Assert.Equal(5, Assert.Single(text.Find("usher_request_duration_seconds_count", served)).Value);
        Assert.Equal(0, Assert.Single(text.Find("usher_pending_requests", served)).Value);
    }

    [Fact]
    public async Task Metrics_AgreeWithAnIndependentCountOfRequests_AndTheDashboardReadsTheSameTotals()
    {
        // Counted here, by the client: answered requests and their rows, rejected ones.
        var answered = 0;
        var rows = 0;
        var invalid = 0;
        for (var i = 0; i < 9; i++)
        {
            var n = 1 + (i % 3);
            var body = "{\"inputs\":[{\"name\":\"features\",\"shape\":[" + n + ",30],\"datatype\":\"FP32\",\"data\":" + System.Text.Json.JsonSerializer.Serialize(new float[30 * n]) + "}]}";
            using var response = await _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(body));
            Assert.True(response.IsSuccessStatusCode);
            answered++;
            rows += n;
            if (i % 4 == 0)
            {
                using var bad = await _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent("{\"inputs\":[{\"name\":\"features\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}"));
                Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
                invalid++;
            }
        }

        var text = await ScrapeAsync();
        (string, string)[] served = [("model", "fraud"), ("version", "2")];
        double Value(string name, params (string, string)[] more) => Assert.Single(text.Find(name, [.. served, .. more])).Value;
        Assert.Equal(answered, Value("usher_inference_request_success_total"));
        Assert.Equal(invalid, Value("usher_inference_request_failure_total", ("reason", "invalid")));
        Assert.Equal(rows, Value("usher_inference_count_total"));
        Assert.Equal(rows, Value("usher_batch_size_sum"));
        Assert.Equal(Value("usher_inference_exec_count_total"), Value("usher_batch_size_count"));
        Assert.Equal(Value("usher_inference_exec_count_total"), Value("usher_batch_compute_duration_seconds_count"));
        foreach (var histogram in new[] { "usher_request_duration_seconds", "usher_queue_duration_seconds", "usher_compute_duration_seconds" })
        {
            // One observation per answered request, in every per-request histogram, and each a real histogram.
            Assert.Equal(answered, Value(histogram + "_count"));
            Assert.Equal(answered, Value(histogram + "_bucket", ("le", "+Inf")));
            var buckets = text.Find(histogram + "_bucket", served);
            Assert.Equal(UsherMetrics.LatencyBuckets.Count + 1, buckets.Count);
            Assert.True(buckets.Zip(buckets.Skip(1)).All(p => p.First.Value <= p.Second.Value), $"{histogram}: buckets are not cumulative");
            Assert.True(Value(histogram + "_sum") > 0);
        }

        // The request duration of each request covers its queue and compute time.
        Assert.True(Value("usher_request_duration_seconds_sum") >= Value("usher_queue_duration_seconds_sum") + Value("usher_compute_duration_seconds_sum") - 1e-9);

        // Each family once: the appended histograms do not repeat the exporter's.
        foreach (var family in UsherMetrics.Histograms)
        {
            Assert.Single(text.Types.Keys, k => k == family.Name);
        }

        // The dashboard reads the very totals /metrics exported.
        var totals = Assert.Single(_app.App.Services.GetRequiredService<UsherMetrics>().Totals, t => t.Model == "fraud" && t.Version == "2");
        Assert.Equal(answered, totals.Succeeded);
        var latency = new long[totals.RequestDuration.Buckets];
        var ticks = totals.RequestDuration.Read(latency);
        Assert.Equal(ticks / 1e7, Value("usher_request_duration_seconds_sum"), 12);
        Assert.Equal(latency[0], Value("usher_request_duration_seconds_bucket", ("le", "5E-05")));
    }

    [Fact]
    public async Task Metrics_InOpenMetricsFormat_PutTheHistogramsBeforeTheEndMarker()
    {
        _app.App.Services.GetRequiredService<UsherMetrics>().ForVersion("recorded", 2)
            .Record(RequestObservation.Succeeded(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2)));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");

        using var response = await _app.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.IsSuccessStatusCode);
        var histogram = body.IndexOf("usher_request_duration_seconds_bucket{", StringComparison.Ordinal);
        Assert.True(histogram > 0, "the histogram is written");
        if (body.Contains("# EOF", StringComparison.Ordinal))
        {
            Assert.True(body.TrimEnd().EndsWith("# EOF", StringComparison.Ordinal), "# EOF stays last");
            Assert.True(histogram < body.LastIndexOf("# EOF", StringComparison.Ordinal));
        }

        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), response.Content.Headers.ContentLength);
    }
}
