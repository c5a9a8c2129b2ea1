using System.Net;
using System.Text.Json;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Routing;
using Usher.Server.Tests.Admin;
using Usher.Testing;

namespace Usher.Server.Tests.Shadow;

/// <summary>A shadow rollout end to end: admin API, REST traffic, the comparison, metrics, promotion to a canary.</summary>
public sealed class ShadowRolloutTests
{
    [Fact]
    public async Task Shadow_ComparesEveryMirroredRequest_AnswersOnlyFromThePrimary_ThenPromotesToACanary()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddDriftedVersion(2);
        await h.LoadAsync();

        var deployed = await h.DeployAsync(new { endpoint = RolloutHarness.Endpoint, version = 2, strategy = "shadow", shadow = new { percent = 100, queue = 500 } });
        Assert.Equal(("shadow", "shadowing"), (deployed.GetProperty("strategy").GetString(), deployed.GetProperty("phase").GetString()));

        const int n = 120;
        for (var i = 0; i < n; i++)
        {
            using var response = await h.InferAsync(i, key: "user-" + i);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("fraud:1", RolloutHarness.Variant(response));
            var label = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("outputs").EnumerateArray()
                .Single(o => o.GetProperty("name").GetString() == "label").GetProperty("data")[0].GetInt64();
            Assert.Equal(Label(SampleModels.FraudWeights(1), i), label);
        }

        var shadow = await WaitForPairsAsync(h, n);
        var expectedAgreed = Enumerable.Range(0, n).Count(i => Label(SampleModels.FraudWeights(1), i) == Label(SampleModels.FraudDriftedWeights(2), i));
        var agreement = shadow.GetProperty("agreement");
        Assert.Equal((n, expectedAgreed), (agreement.GetProperty("compared").GetInt32(), agreement.GetProperty("agreed").GetInt32()));
        Assert.Equal(("fraud:1", "fraud:2"), (shadow.GetProperty("primary").GetString(), shadow.GetProperty("shadow").GetString()));
        Assert.Equal(Math.Min(20, n - expectedAgreed), shadow.GetProperty("disagreements").GetArrayLength());
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());

        var metrics = await h.Client.GetStringAsync("/metrics");
        var mirrored = metrics.Split('\n').Single(l => l.StartsWith("usher_shadow_requests_total{", StringComparison.Ordinal) && l.Contains("outcome=\"mirrored\"", StringComparison.Ordinal));
        Assert.Contains("variant=\"fraud:2\"", mirrored, StringComparison.Ordinal);
        Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), mirrored.Split(' ')[1]);

        var promoted = await h.ActAsync("promote");
        Assert.Equal(("canary", "progressing"), (promoted.GetProperty("strategy").GetString(), promoted.GetProperty("phase").GetString()));
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 5, ["fraud:1"] = 95 }, await h.WeightsAsync());
        Assert.False((await h.RolloutAsync()).TryGetProperty("shadow", out _));
    }

    private static long Label(MlpWeights weights, int row)
    {
        var logits = ReferenceMlp.Forward(weights, RolloutHarness.Row(row));
        return logits[1] > logits[0] ? 1 : 0;
    }

    // The mirror's worker compares in the background: wait (with a deadline) until it has seen every pair.
    // It runs copies only while the primary is idle, and between two looks at its queue it waits one
    // pace on the harness's clock: the wait moves that clock one pace at a time, which no rollout step notices.
    private static async Task<JsonElement> WaitForPairsAsync(RolloutHarness h, int pairs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var status = await h.RolloutAsync();
            var shadow = status.GetProperty("shadow");
            if (shadow.GetProperty("pairs").GetInt32() >= pairs || DateTime.UtcNow > deadline)
            {
                return shadow;
            }

            h.Time.Advance(ShadowMirror.Pace);
            await Task.Delay(10);
        }
    }
}
