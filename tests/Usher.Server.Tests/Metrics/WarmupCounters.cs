namespace Usher.Server.Tests.Metrics;

/// <summary>
/// What a server that has only warmed up (the codec, each version's pipeline, the frontends on
/// Kestrel) shows on <c>/metrics</c>: no request counted; then the first client request, counted once.
/// </summary>
internal static class WarmupCounters
{
    /// <summary>Every per-model series that a request moves.</summary>
    public static readonly string[] Names =
    [
        "usher_inference_request_success_total", "usher_inference_request_failure_total", "usher_inference_count_total",
        "usher_inference_exec_count_total", "usher_request_duration_seconds_count", "usher_batch_size_count",
        "usher_queue_duration_seconds_count", "usher_compute_duration_seconds_count", "usher_batch_compute_duration_seconds_count",
        "usher_routed_requests_total",
    ];

    /// <summary>Asserts that none of <see cref="Names"/> counts a request of the <c>fraud</c> sample.</summary>
    public static async Task AssertNoneCountedAsync(HttpClient client)
    {
        var fresh = await ScrapeAsync(client);
        foreach (var counter in Names)
        {
            Assert.True(Sum(fresh, counter) == 0, $"{counter} counts {Sum(fresh, counter)} after the warm-up");
        }
    }

    /// <summary>Sends one request to the <c>fraud</c> sample and asserts that it is counted once, as a success.</summary>
    public static async Task AssertFirstRequestCountedOnceAsync(HttpClient client)
    {
        var body = "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,30],\"datatype\":\"FP32\",\"data\":" + System.Text.Json.JsonSerializer.Serialize(new float[30]) + "}]}";
        using var answer = await client.PostAsync("/v2/models/fraud/infer", new StringContent(body));
        Assert.True(answer.IsSuccessStatusCode, $"the first request answered {(int)answer.StatusCode}");

        var after = await ScrapeAsync(client);
        Assert.Equal(1, Sum(after, "usher_inference_request_success_total"));
        Assert.Equal(1, Sum(after, "usher_inference_count_total"));
        Assert.Equal(1, Sum(after, "usher_inference_exec_count_total"));
        Assert.Equal(1, Sum(after, "usher_request_duration_seconds_count"));
        Assert.Equal(0, Sum(after, "usher_inference_request_failure_total"));
        Assert.Equal(1, Sum(after, "usher_routed_requests_total")); // by the table the server published for the endpoint
    }

    private static async Task<PrometheusText> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    // The routed total is labelled by endpoint and variant, the others by model.
    private static double Sum(PrometheusText text, string name)
        => text.Find(name, (name == "usher_routed_requests_total" ? "endpoint" : "model", "fraud")).Sum(s => s.Value);
}
