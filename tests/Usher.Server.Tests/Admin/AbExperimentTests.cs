using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Routing;

namespace Usher.Server.Tests.Admin;

/// <summary>An A/B test end to end: deployed through the admin API, served over REST, outcomes posted to the feedback route, results read back.</summary>
public sealed class AbExperimentTests
{
    private static readonly object Ab = new
    {
        endpoint = RolloutHarness.Endpoint,
        strategy = "ab",
        ab = new { variants = new[] { new { version = 1, weight = 50 }, new { version = 2, weight = 50 } }, metric = "conversion", min_samples = 100 },
    };

    [Fact]
    public async Task AbTest_ServesStickyArms_JoinsFeedback_DeclaresTheWinner_AndPromotesIt()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();

        var deployed = await h.DeployAsync(Ab);
        Assert.Equal("ab", deployed.GetProperty("strategy").GetString());
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 50, ["fraud:2"] = 50 }, await h.WeightsAsync());

        // 800 users; version 2 converts at 30%, version 1 at 10% (seeded); outcomes go back by key in one batch.
        var random = new Random(5);
        var feedback = new List<object>();
        for (var i = 0; i < 800; i++)
        {
            var key = "user-" + i.ToString(CultureInfo.InvariantCulture);
            var (status, variant) = await InferAsync(h, i, "req-" + i.ToString(CultureInfo.InvariantCulture), key);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(variant, (await InferAsync(h, i + 1000, null, key)).Variant);
            feedback.Add(new { key, metric = "conversion", value = random.NextDouble() < (variant == "fraud:2" ? 0.3 : 0.1) ? 1 : 0 });
        }

        var batch = await h.AdminJsonAsync(HttpMethod.Post, "/v2/endpoints/fraud/feedback", feedback);
        Assert.Equal(800, batch.GetProperty("recorded").GetInt32());

        // One by id; the same again is a duplicate; an id never served is named.
        var single = await h.AdminJsonAsync(HttpMethod.Post, "/v2/endpoints/fraud/feedback", new { id = "req-3", metric = "revenue", value = 12.5 });
        Assert.Equal("recorded", single.GetProperty("status").GetString());
        var again = await h.AdminJsonAsync(HttpMethod.Post, "/v2/endpoints/fraud/feedback", new { id = "req-3", metric = "revenue", value = 99 });
        Assert.Equal("duplicate", again.GetProperty("status").GetString());
        var unknown = await h.AdminJsonAsync(HttpMethod.Post, "/v2/endpoints/fraud/feedback", new { id = "nope", metric = "conversion", value = 1 }, HttpStatusCode.NotFound);
        Assert.Contains("'nope'", unknown.GetProperty("error").GetString(), StringComparison.Ordinal);
        var mixed = await h.AdminJsonAsync(HttpMethod.Post, "/v2/endpoints/fraud/feedback", new object[] { new { id = "req-4", value = 1 }, new { id = "nope", value = 1 }, new { key = "user-5", value = 7 } });
        Assert.Equal(["recorded", "unknown", "invalid"], mixed.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));

        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        var results = await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/experiment");
        Assert.Equal("winner", results.GetProperty("decision").GetString());
        Assert.Equal(2, results.GetProperty("winner").GetInt64());
        Assert.False(results.GetProperty("srm").GetProperty("flagged").GetBoolean());
        var arms = results.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(800, arms.Sum(a => a.GetProperty("assigned").GetInt64()));
        Assert.True(arms[1].GetProperty("vs_control").GetProperty("sequential_p_value").GetDouble() <= 0.05);

        var promoted = await h.AdminJsonAsync(HttpMethod.Post, "/admin/endpoints/fraud/rollout/promote", new { reason = "v2 converts better" });
        Assert.Equal("succeeded", promoted.GetProperty("phase").GetString());
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 100 }, await h.WeightsAsync());
        await h.AdminJsonAsync(HttpMethod.Post, "/v2/endpoints/fraud/feedback", new { id = "req-1", value = 1 }, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Experiment_OnAnEndpointWithoutOne_Is404()
    {
        await using var h = await RolloutHarness.StartAsync([1]);

        var error = await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/experiment", expected: HttpStatusCode.NotFound);

        Assert.Contains("never run an experiment", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, string? Variant)> InferAsync(RolloutHarness h, int row, string? id, string key)
    {
        var body = JsonSerializer.Serialize(new { id, inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = RolloutHarness.Row(row) } } });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/fraud/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(RouteHints.RoutingKeyHeader, key);
        using var response = await h.Client.SendAsync(request);
        return (response.StatusCode, RolloutHarness.Variant(response));
    }
}
