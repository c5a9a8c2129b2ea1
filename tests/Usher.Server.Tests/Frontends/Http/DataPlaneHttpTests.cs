using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Inference;
using Usher.Core.Scheduling;
using Usher.Server.Frontends.Http;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>The data plane seen over HTTP: Server-Timing, the cache, scheduling parameters, backpressure status.</summary>
public sealed class DataPlaneHttpTests : IAsyncLifetime
{
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        File.WriteAllText(_repo.Combine("fraud", "config.yaml"), """
            max_batch_size: 64
            version_policy: { all: {} }
            dynamic_batching:
              max_queue_delay_microseconds: 500
              priority_levels: 2
              default_priority_level: 2
            cache: { enabled: true, max_bytes: 1048576 }
            """);
        _app = await UsherApp.StartAsync(_repo.Path);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    private static string Body(float first, string parameters = "")
    {
        var row = new float[30];
        row[0] = first;
        return $$"""{{{parameters}}"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":{{JsonSerializer.Serialize(row)}}}]}""";
    }

    private Task<HttpResponseMessage> PostAsync(string body) => _app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(body, Encoding.UTF8, "application/json"));

    private static Dictionary<string, string> Timing(HttpResponseMessage response)
        => string.Join(",", response.Headers.GetValues("Server-Timing"))
            .Split(',', StringSplitOptions.TrimEntries)
            .Select(e => e.Split(';', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty);

    [Fact]
    public async Task Infer_HasServerTimingWithQueueComputeAndTotal()
    {
        var response = await PostAsync(Body(0.5f));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var timing = Timing(response);
        var queue = double.Parse(timing["queue"]["dur=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var compute = double.Parse(timing["compute"]["dur=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var total = double.Parse(timing["total"]["dur=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(compute > 0, "compute time must be measured");
        Assert.True(queue + compute <= total + 0.001, $"queue {queue} + compute {compute} exceed total {total}");
        Assert.False(timing.ContainsKey("cache"));
    }

    [Fact]
    public async Task Infer_TheSameRequestTwice_IsACacheHitWithTheSameAnswer()
    {
        var first = await PostAsync(Body(1.25f));
        var second = await PostAsync(Body(1.25f));
        var other = await PostAsync(Body(1.5f));

        Assert.Equal("desc=\"hit\"", Timing(second)["cache"]);
        Assert.False(Timing(first).ContainsKey("cache"));
        Assert.False(Timing(other).ContainsKey("cache"));
        using var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        using var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal(a.RootElement.GetProperty("outputs").GetRawText(), b.RootElement.GetProperty("outputs").GetRawText());
        var version = _app.Models.Acquire("fraud", null).Value!;
        Assert.Equal(2, version.Cache!.Count);
        version.Release();
    }

    [Fact]
    public async Task Reload_OfAChangedVersion_StartsWithAnEmptyCache()
    {
        await PostAsync(Body(4.5f));
        Assert.True(Timing(await PostAsync(Body(4.5f))).ContainsKey("cache"));

        var file = _repo.Combine("fraud", "2", "model.onnx");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(5));
        Assert.Equal(HttpStatusCode.OK, (await _app.Client.PostAsync("/v2/repository/models/fraud/load", null)).StatusCode);

        Assert.False(Timing(await PostAsync(Body(4.5f))).ContainsKey("cache"));
        Assert.True(Timing(await PostAsync(Body(4.5f))).ContainsKey("cache"));
    }

    [Theory]
    [InlineData("\"parameters\":{\"priority\":3},", "parameter 'priority': expected an integer from 1 to 2")]
    [InlineData("\"parameters\":{\"priority\":\"high\"},", "parameter 'priority'")]
    [InlineData("\"parameters\":{\"timeout\":-5},", "parameter 'timeout': expected a non-negative integer number of microseconds")]
    public async Task Infer_WithABadSchedulingParameter_Is400(string parameters, string expected)
        => Assert.Contains(expected, await HttpAssert.ErrorAsync(await PostAsync(Body(2, parameters)), HttpStatusCode.BadRequest), StringComparison.Ordinal);

    [Fact]
    public async Task Infer_WithValidPriorityAndTimeout_Succeeds()
        => Assert.Equal(HttpStatusCode.OK, (await PostAsync(Body(3, "\"parameters\":{\"priority\":1,\"timeout\":5000000},"))).StatusCode);

    [Fact]
    public async Task ResourceExhausted_Is503WithRetryAfter()
    {
        var context = new DefaultHttpContext { RequestServices = _app.App.Services };
        context.Response.Body = new MemoryStream();
        await HttpErrors.WriteAsync(context, new InferenceError(InferenceErrorKind.ResourceExhausted, "queue full"));
        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal(_app.App.Services.GetRequiredService<SchedulingOptions>().RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), context.Response.Headers.RetryAfter.ToString());
    }
}
