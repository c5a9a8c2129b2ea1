using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// <c>server.timing_stages</c> on real Kestrel: every answer's Server-Timing splits the overhead
/// (total − queue − compute) into stages that add up to it; off (the default), the header has none.
/// </summary>
public sealed class TimingStagesHttpTests : IDisposable
{
    private static readonly string[] Stages = ["read", "decode", "run"];
    private readonly TempDirectory _repo = new();

    public TimingStagesHttpTests()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Infer_WithTimingStagesOn_SplitsTheOverheadIntoStagesThatAddUpToIt()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true, server: o => o.TimingStages = true);

        for (var i = 0; i < 5; i++)
        {
            using var response = await PostAsync(app, i * 0.25f);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var timing = Timing(response);
            var overhead = timing["total"] - timing["queue"] - timing["compute"];
            Assert.All(Stages, s => Assert.True(timing.ContainsKey(s) && timing[s] >= 0, $"stage '{s}' missing or negative"));

            // Each of the six figures is rounded to the microsecond, so the sum may be off by 3 µs.
            var sum = Stages.Sum(s => timing[s]);
            Assert.True(Math.Abs(sum - overhead) <= 0.003 + 1e-9, $"the stages add up to {sum} ms, the overhead is {overhead} ms");
        }
    }

    [Fact]
    public async Task Infer_ByDefault_HasNoStages()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path);

        using var response = await PostAsync(app, 0.5f);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["queue", "compute", "total"], Timing(response).Keys);
    }

    private static Task<HttpResponseMessage> PostAsync(UsherApp app, float first)
    {
        var row = new float[30];
        row[0] = first;
        var body = $$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":{{JsonSerializer.Serialize(row)}}}]}""";
        return app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(body, Encoding.UTF8, "application/json"));
    }

    private static Dictionary<string, double> Timing(HttpResponseMessage response)
        => string.Join(",", response.Headers.GetValues("Server-Timing"))
            .Split(',', StringSplitOptions.TrimEntries)
            .Select(e => e.Split(";dur=", 2))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
}
