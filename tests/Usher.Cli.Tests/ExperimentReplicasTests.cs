using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Cli.Tests;

/// <summary>
/// An A/B experiment on two <c>usher serve</c> processes sharing one PostgreSQL database: each key
/// gets the same arm on both, an outcome joins the arm of whichever replica served the unit, and
/// both replicas report the same results.
/// </summary>
public sealed class ExperimentReplicasTests : IDisposable
{
    private const string Ab = """
        {"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "metric": "conversion", "min_samples": 10}}
        """;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public async Task AbTest_OnTwoReplicas_GivesEachKeyItsHashedArmOnBoth_JoinsFeedbackToTheServingReplicasArm_AndReportsTheSameOnBoth()
    {
        var postgres = await PostgresServer.SharedAsync();
        var state = postgres.Uri(await postgres.CreateDatabaseAsync());

        // Ticks a minute apart: within the test a replica writes its buffered assignments only when
        // feedback or a report asks it to, so feedback can reach B while A still holds A's.
        var environment = new Dictionary<string, string>(ServeProcessTests.Loopback) { ["USHER_ADMIN__TICK_MS"] = "60000" };
        await using var a = Serve("a", state, environment);
        using var clientA = await ReadyClientAsync(a);
        using var deployed = await clientA.PostAsync(new Uri("/admin/deployments", UriKind.Relative), new StringContent(Ab, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(deployed.IsSuccessStatusCode, await deployed.Content.ReadAsStringAsync());

        // Replicas read rollouts at start: B starts after the deployment.
        await using var b = Serve("b", state, environment);
        using var clientB = await ReadyClientAsync(b);

        // Users 0-59 are served by both replicas, 60-99 by A only; each gets the arm the hash gives it.
        var users = Enumerable.Range(0, 100).Select(i => "user-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        foreach (var (user, i) in users.Select((u, i) => (u, i)))
        {
            var expected = StickyBucket.Of("fraud", user) < 0.5 ? "fraud:1" : "fraud:2";
            Assert.Equal(expected, await VariantAsync(clientA, user));
            if (i < 60)
            {
                Assert.Equal(expected, await VariantAsync(clientB, user));
            }
        }

        // Every user's outcome goes to B, which has not served 60-99 and has not seen A's assignments for them.
        var values = users.Select((u, i) => (u, i)).ToDictionary(x => x.u, x => x.i % 3 == 0 ? 1 : 0);
        var atB = await PostJsonAsync(clientB, "/v2/endpoints/fraud/feedback", new JsonArray([.. users.Select(u => Outcome(u, values[u]))]), HttpStatusCode.OK);
        Assert.Equal((60, 40, 0), ((int)atB["recorded"]!, (int)atB["pending"]!, (int)atB["unknown"]!));

        // One alone: 202, kept without an arm until A writes user-99's.
        var single = await PostJsonAsync(clientB, "/v2/endpoints/fraud/feedback", new JsonObject { ["key"] = "user-99", ["metric"] = "revenue", ["value"] = 5 }, HttpStatusCode.Accepted);
        Assert.Equal("pending", (string?)single["status"]);
        Assert.Null(single["version"]);

        // The same outcomes again, to A and to B: each counts once.
        var again = new JsonArray([.. users.Where((_, i) => i % 10 == 0).Select(u => Outcome(u, 1 - values[u]))]);
        Assert.Equal(10, (int)(await PostJsonAsync(clientA, "/v2/endpoints/fraud/feedback", again, HttpStatusCode.OK))["duplicate"]!);
        Assert.Equal(10, (int)(await PostJsonAsync(clientB, "/v2/endpoints/fraud/feedback", JsonNode.Parse(again.ToJsonString())!, HttpStatusCode.OK))["duplicate"]!);

        // A's report flushes A's assignments; B's, read after, is the same to the last digit.
        var reportA = await clientA.GetStringAsync(new Uri("/admin/endpoints/fraud/experiment", UriKind.Relative));
        var reportB = await clientB.GetStringAsync(new Uri("/admin/endpoints/fraud/experiment", UriKind.Relative));
        Assert.Equal(reportA, reportB);

        // By hand: each arm's users and the mean of their outcomes.
        var arms = JsonNode.Parse(reportB)!["arms"]!.AsArray();
        foreach (var version in new[] { 1L, 2L })
        {
            var inArm = users.Where(u => (StickyBucket.Of("fraud", u) < 0.5 ? 1 : 2) == version).ToList();
            var arm = arms.Single(x => (long)x!["version"]! == version)!;
            Assert.Equal((inArm.Count, inArm.Count), ((int)arm["units"]!, (int)arm["outcomes"]!));
            Assert.Equal(inArm.Average(u => values[u]), (double)arm["mean"]!, 1e-12);
        }
    }

    private UsherProcess Serve(string machine, string state, IReadOnlyDictionary<string, string> environment)
    {
        var repository = _temp.Combine(machine, "models");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        return UsherProcess.Start(_temp.Path, ["serve", "--model-repository", repository, "--http-port", "0", "--state", state], environment);
    }

    private static async Task<HttpClient> ReadyClientAsync(UsherProcess usher)
    {
        var client = new HttpClient { BaseAddress = await ServeProcessTests.ListeningAddressAsync(usher) };
        await ServeProcessTests.WaitForStatusAsync(client, "/v2/health/ready", HttpStatusCode.OK, ServeProcessTests.StartDeadline, usher);
        return client;
    }

    private static async Task<string> VariantAsync(HttpClient client, string user)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v2/models/fraud/infer", UriKind.Relative)) { Content = JsonContent.Create(ServeProcessTests.FraudRequest(rows: 1)) };
        request.Headers.Add("x-usher-routing-key", user);
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return response.Headers.GetValues("x-usher-variant").Single();
    }

    private static JsonObject Outcome(string user, int value) => new() { ["key"] = user, ["metric"] = "conversion", ["value"] = value };

    private static async Task<JsonNode> PostJsonAsync(HttpClient client, string path, JsonNode body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
