using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Usher.Core.Routing;
using Usher.Server.Tests.Frontends.Http;
using Usher.Server.Tests.Metrics;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Routing;

/// <summary>
/// Feature-availability routing through the real HTTP frontend: an A/B test, deployed through the
/// admin API, between version 2 of <c>scorer</c> (input <c>features</c>, score = features) and version
/// 3 (<c>features</c> and <c>device_history</c>, score = features + device_history).
/// </summary>
public sealed class FeatureAvailabilityTests : IAsyncLifetime
{
    private const string Endpoint = "scorer";
    private static readonly float[] Features = [1, 2, 3, 4];
    private static readonly float[] History = [10, 20, 30, 40];
    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        TestModels.WriteFeaturesModel(_repo.Combine(Endpoint, "2"), deviceHistory: false);
        TestModels.WriteFeaturesModel(_repo.Combine(Endpoint, "3"), deviceHistory: true);
        await File.WriteAllTextAsync(_repo.Combine(Endpoint, "config.yaml"), "version_policy: all\n");
        _app = await UsherApp.StartAsync(_repo.Path);
        var spec = new
        {
            endpoint = Endpoint,
            strategy = "ab",
            ab = new { variants = new[] { new { version = 2, weight = 50 }, new { version = 3, weight = 50 } }, metric = "conversion", min_samples = 100 },
        };
        using var deployed = await _app.Client.PostAsJsonAsync("/admin/deployments", spec);
        Assert.True(deployed.StatusCode == HttpStatusCode.Created, await deployed.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task RequestsWithoutTheCandidatesInput_GoToTheVariantThatTakesThem_AndTheFallbackIsCounted()
    {
        // The variant the table lays out first owns buckets [0, 0.5).
        var first = await FirstVariantAsync();
        var keys = Enumerable.Range(0, 60).Select(i => "user-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        string Hashed(string key) => StickyBucket.Of(Endpoint, key) < 0.5 ? first : first == "scorer:2" ? "scorer:3" : "scorer:2";

        foreach (var key in keys)
        {
            // Both inputs: the variant the hash picks, given the inputs it declares.
            var (variant, score) = await InferAsync(key, withHistory: true);
            Assert.Equal(Hashed(key), variant);
            Assert.Equal(variant == "scorer:3" ? [.. Features.Zip(History, (f, h) => f + h)] : Features, score);

            // Features alone: version 2, whatever the hash picked.
            var (fallback, alone) = await InferAsync(key, withHistory: false);
            Assert.Equal("scorer:2", fallback);
            Assert.Equal(Features, alone);
        }

        var metrics = PrometheusText.Parse(await _app.Client.GetStringAsync("/metrics"));
        var counted = Assert.Single(metrics.Samples, s => s.Name == "usher_routing_fallbacks_total" && s.Labels["endpoint"] == Endpoint);
        Assert.Equal(("scorer:3", "scorer:2", "missing_inputs"), (counted.Labels["from"], counted.Labels["to"], counted.Labels["reason"]));
        Assert.Equal(keys.Count(k => Hashed(k) == "scorer:3"), counted.Value);
    }

    [Fact]
    public async Task ARequestNoVariantCanServe_Is400_NamingWhatEachLacks()
    {
        var body = new { inputs = new[] { Tensor("device_history", History) } };

        using var response = await _app.Client.PostAsJsonAsync($"/v2/models/{Endpoint}/infer", body);

        var error = await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith($"no variant of endpoint '{Endpoint}' can serve this request: ", error, StringComparison.Ordinal);
        Assert.Contains("scorer:2 needs 'features'", error, StringComparison.Ordinal);
        Assert.Contains("scorer:3 needs 'features'", error, StringComparison.Ordinal);
    }

    private async Task<string> FirstVariantAsync()
    {
        using var list = JsonDocument.Parse(await _app.Client.GetStringAsync("/admin/endpoints"));
        var endpoint = list.RootElement.GetProperty("endpoints").EnumerateArray().Single(e => e.GetProperty("name").GetString() == Endpoint);
        var v = endpoint.GetProperty("variants").EnumerateArray().First();
        return v.GetProperty("model").GetString() + ":" + v.GetProperty("version").GetInt64().ToString(CultureInfo.InvariantCulture);
    }

    private async Task<(string? Variant, float[] Score)> InferAsync(string key, bool withHistory)
    {
        object[] inputs = withHistory ? [Tensor("features", Features), Tensor("device_history", History)] : [Tensor("features", Features)];
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Endpoint}/infer") { Content = JsonContent.Create(new { inputs }) };
        request.Headers.Add(RouteHints.RoutingKeyHeader, key);
        using var response = await _app.Client.SendAsync(request);
        var json = await HttpAssert.OkJsonAsync(response);
        var score = json.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "score");
        var variant = response.Headers.TryGetValues(RouteHints.VariantHeader, out var values) ? values.Single() : null;
        return (variant, [.. score.GetProperty("data").EnumerateArray().Select(d => d.GetSingle())]);
    }

    private static object Tensor(string name, float[] data) => new { name, shape = new[] { 1, 4 }, datatype = "FP32", data };
}
