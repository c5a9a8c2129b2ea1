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

    [Fact]
    public async Task Metrics_OfAFreshServer_CountNoneOfTheWarmup_AndTheFirstRequestOnce()
    {
        await WarmupCounters.AssertNoneCountedAsync(_app.Client);
        await WarmupCounters.AssertFirstRequestCountedOnceAsync(_app.Client);
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
