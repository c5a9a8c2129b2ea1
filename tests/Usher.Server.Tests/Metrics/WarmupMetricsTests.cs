using Usher.Server.Frontends.Http;
using Usher.Server.Hosting;
using Usher.Testing;

namespace Usher.Server.Tests.Metrics;

/// <summary>
/// The warm-up at start (the codec, then each version's pipeline) serves nothing a client can see:
/// a freshly started server's <c>/metrics</c> counts no request, and the first client request counts once.
/// </summary>
[Collection(nameof(MetricsEndpointTests))]
public sealed class WarmupMetricsTests : IAsyncLifetime
{
    private static readonly string[] Counters =
    [
        "usher_inference_request_success_total", "usher_inference_request_failure_total", "usher_inference_count_total",
        "usher_inference_exec_count_total", "usher_request_duration_seconds_count", "usher_batch_size_count",
    ];

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
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Sum(PrometheusText text, string name) => text.Find(name, ("model", "fraud")).Sum(s => s.Value);

    [Fact]
    public async Task Metrics_OfAFreshServer_CountNoneOfTheWarmup_AndTheFirstRequestOnce()
    {
        var fresh = await ScrapeAsync();
        foreach (var counter in Counters)
        {
            Assert.Equal(0, Sum(fresh, counter));
        }

        var body = "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":" + System.Text.Json.JsonSerializer.Serialize(new float[30]) + "}]}";
        using var answer = await _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(body));
        Assert.True(answer.IsSuccessStatusCode);

        var after = await ScrapeAsync();
        Assert.Equal(1, Sum(after, "usher_inference_request_success_total"));
        Assert.Equal(1, Sum(after, "usher_inference_count_total"));
        Assert.Equal(1, Sum(after, "usher_inference_exec_count_total"));
        Assert.Equal(1, Sum(after, "usher_request_duration_seconds_count"));
        Assert.Equal(0, Sum(after, "usher_inference_request_failure_total"));
    }

    [Fact]
    public void CodecWarmup_DecodesItsRequest_AndEncodesTheTensorsBack()
    {
        var answer = System.Text.Json.JsonDocument.Parse(CodecWarmup.Run(new ServerOptions().MaxTensorBytes)).RootElement;

        Assert.Equal("warmup", answer.GetProperty("model_name").GetString());
        var outputs = answer.GetProperty("outputs");
        Assert.Equal(2, outputs.GetArrayLength());
        Assert.Equal([0.25f, -1.5f, 3f, 1e-3f], outputs[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        Assert.Equal("INT64", outputs[1].GetProperty("datatype").GetString());
        Assert.Equal([1L, -2L], outputs[1].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray());
    }
}
