using System.Globalization;
using System.Net;
using Usher.ControlPlane.Analysis;
using Usher.Server.Tests.Admin;
using Usher.Server.Tests.Frontends.Http;
using Usher.Testing;

namespace Usher.Server.Tests.Routing;

/// <summary>Sticky weighted routing through the real server while a canary ramps.</summary>
public sealed class StickyRoutingTests
{
    private const int Keys = 600;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    // Drift is not under test here, and keyed traffic sends different rows to each variant: only the
    // error-rate and latency checks gate the steps.
    private static readonly object Spec = new
    {
        endpoint = RolloutHarness.Endpoint,
        version = 2,
        strategy = "canary",
        canary = new { steps = new[] { 5, 25, 50, 100 }, interval = "60s" },
        analysis = new { min_requests = 50, min_predictions = 50, max_psi = 100 },
    };

    [Fact]
    public async Task RoutingKey_AcrossARamp_KeepsItsVariantAndOnlyMovesFromStableToCanary()
    {
        await using var h = await StartCanaryAsync();
        Dictionary<string, string>? previous = null;
        foreach (var weight in new[] { 5, 25, 50 })
        {
            Assert.Equal(weight, (await h.RolloutAsync()).GetProperty("weight").GetInt32());
            var now = await RouteAllAsync(h);
            foreach (var (key, variant) in now)
            {
                // GrowthBook's hash, computed here from its definition: the candidate owns [0, weight%).
                var expected = StickyBucket.Of(RolloutHarness.Endpoint, key) < weight / 100.0 ? "fraud:2" : "fraud:1";
                Assert.True(expected == variant, $"key {key} at {weight}%: expected {expected}, got {variant}");
            }

            if (previous is not null)
            {
                Assert.All(previous.Where(p => p.Value == "fraud:2"), p => Assert.Equal("fraud:2", now[p.Key]));
                var moved = previous.Count(p => p.Value != now[p.Key]);
                Assert.True(moved > 0, $"raising the weight to {weight}% moved no key");
                Assert.All(previous.Where(p => p.Value != now[p.Key]), p => Assert.Equal(("fraud:1", "fraud:2"), (p.Value, now[p.Key])));
            }

            previous = now;
            await h.SendPairedAsync(60, "fraud:1", "fraud:2");
            await h.AdvanceAsync(Interval);
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(25)]
    [InlineData(50)]
    public async Task RoutingKeys_ManyDistinct_SplitByTheWeightsWithinAChiSquareFit(int weight)
    {
        await using var h = await StartCanaryAsync();
        while ((await h.RolloutAsync()).GetProperty("weight").GetInt32() < weight)
        {
            await h.SendPairedAsync(60, "fraud:1", "fraud:2");
            await h.AdvanceAsync(Interval);
        }

        var routed = await RouteAllAsync(h);
        long canary = routed.Values.Count(v => v == "fraud:2");
        long stable = routed.Values.Count(v => v == "fraud:1");
        Assert.Equal(Keys, canary + stable);

        var fit = ChiSquareGoodnessOfFit.Test([canary, stable], [weight, 100 - weight]);

        // Pearson's statistic by hand, for the same counts.
        var expectedCanary = Keys * weight / 100.0;
        var expectedStable = Keys - expectedCanary;
        var statistic = (Math.Pow(canary - expectedCanary, 2) / expectedCanary) + (Math.Pow(stable - expectedStable, 2) / expectedStable);
        Assert.Equal(statistic, fit.Statistic, 9);
        Assert.Equal(1, fit.DegreesOfFreedom);
        Assert.True(fit.PValue > 0.001, $"{canary} of {Keys} keys on the canary at {weight}%: χ² = {fit.Statistic}, p = {fit.PValue}");
    }

    [Fact]
    public async Task VariantHeader_PinsTheVariantWhateverTheRoutingKey()
    {
        await using var h = await StartCanaryAsync();
        var stableKey = Enumerable.Range(0, 1000).Select(i => "user-" + i.ToString(CultureInfo.InvariantCulture)).First(k => StickyBucket.Of(RolloutHarness.Endpoint, k) >= 0.05);
        Assert.Equal((HttpStatusCode.OK, "fraud:1"), await h.CallAsync(1, key: stableKey));

        Assert.Equal((HttpStatusCode.OK, "fraud:2"), await h.CallAsync(1, key: stableKey, pin: "fraud:2"));
        Assert.Equal((HttpStatusCode.OK, "fraud:2"), await h.CallAsync(1, key: stableKey, pin: "2"));
        using var unknown = await h.InferAsync(1, key: stableKey, pin: "fraud:9");
        var error = await HttpAssert.ErrorAsync(unknown, HttpStatusCode.BadRequest);
        Assert.Contains("fraud:9", error, StringComparison.Ordinal);
        Assert.Contains("fraud:2, fraud:1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionedInfer_BypassesRoutingAndTheCanaryAnalysis()
    {
        await using var h = await StartCanaryAsync();
        var canaryKey = Enumerable.Range(0, 1000).Select(i => "user-" + i.ToString(CultureInfo.InvariantCulture)).First(k => StickyBucket.Of(RolloutHarness.Endpoint, k) < 0.05);
        Assert.Equal((HttpStatusCode.OK, "fraud:2"), await h.CallAsync(1, key: canaryKey));
        var before = h.App.Controller.Recorder.Sample(RolloutHarness.Endpoint, "fraud:1").Requests;

        using var response = await h.InferAsync(1, key: canaryKey, pin: "fraud:2", path: "/v2/models/fraud/versions/1/infer");
        var json = await HttpAssert.OkJsonAsync(response);

        Assert.Equal("1", json.GetProperty("model_version").GetString());
        Assert.Equal("fraud:1", RolloutHarness.Variant(response));
        Assert.Equal(before, h.App.Controller.Recorder.Sample(RolloutHarness.Endpoint, "fraud:1").Requests);
    }

    [Fact]
    public async Task VersionedInfer_OfALoadedVersionWithoutTraffic_AnswersFromThatVersion()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());

        using var pinned = await h.InferAsync(3, path: "/v2/models/fraud/versions/2/infer");
        using var routed = await h.InferAsync(3);

        Assert.Equal("2", (await HttpAssert.OkJsonAsync(pinned)).GetProperty("model_version").GetString());
        Assert.Equal("fraud:2", RolloutHarness.Variant(pinned));
        Assert.Equal("1", (await HttpAssert.OkJsonAsync(routed)).GetProperty("model_version").GetString());
        Assert.Equal("fraud:1", RolloutHarness.Variant(routed));
    }

    [Fact]
    public void ExpectedBucket_MatchesGrowthBooksPublishedCases()
    {
        Assert.Equal(0.0505, StickyBucket.Of("seed", "a"), 10);
        Assert.Equal(0.2696, StickyBucket.Of("seed", "b"), 10);
        Assert.Equal(0.124, StickyBucket.Of("89123klj", "8952klfjas09ujkasdf"), 10);
    }

    private static async Task<RolloutHarness> StartCanaryAsync()
    {
        var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        await h.DeployAsync(Spec);
        return h;
    }

    // Every key once; the variant each answer names.
    private static async Task<Dictionary<string, string>> RouteAllAsync(RolloutHarness h)
    {
        var routed = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Keys; i++)
        {
            var key = "user-" + i.ToString(CultureInfo.InvariantCulture);
            using var response = await h.InferAsync(i, key: key);
            var json = await HttpAssert.OkJsonAsync(response);
            var variant = RolloutHarness.Variant(response)!;
            Assert.Equal(variant, "fraud:" + json.GetProperty("model_version").GetString());
            routed[key] = variant;
        }

        return routed;
    }
}
