using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Usher.Server.Tests.Frontends.Http;
using Usher.Testing;

namespace Usher.Server.Tests.Admin;

/// <summary>The admin API's contract: authentication, status codes, every problem reported, the JSON shapes.</summary>
public sealed class AdminApiContractTests
{
    private const string Token = "an-admin-token-of-some-length";
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static object Canary(int version = 2) => new
    {
        endpoint = RolloutHarness.Endpoint,
        version,
        strategy = "canary",
        canary = new { steps = new[] { 5, 25, 50, 100 }, interval = "60s" },
        analysis = new { min_requests = 50, min_predictions = 50 },
    };

    private static async Task<RolloutHarness> StartWithTwoVersionsAsync(Action<Usher.Server.Admin.AdminOptions>? admin = null)
    {
        var h = await RolloutHarness.StartAsync([1], admin: admin);
        h.AddVersion(2);
        await h.LoadAsync();
        return h;
    }

    [Fact]
    public async Task Admin_WithATokenSet_Answers401WithoutOrWithAWrongTokenAnd200WithIt()
    {
        await using var h = await StartWithTwoVersionsAsync(o => o.Token = Token);

        using var none = await h.Client.GetAsync("/admin/endpoints");
        using var wrongRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/endpoints");
        wrongRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token + "x");
        using var wrong = await h.Client.SendAsync(wrongRequest);
        using var rightRequest = new HttpRequestMessage(HttpMethod.Get, "/admin/endpoints");
        rightRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var right = await h.Client.SendAsync(rightRequest);
        using var deploy = await h.AdminAsync(HttpMethod.Post, "/admin/deployments", Canary());

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("no Authorization header", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("a wrong token", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, deploy.StatusCode);
        Assert.Empty(h.App.Controller.Active);

        // The data plane needs no token.
        Assert.Equal((HttpStatusCode.OK, "fraud:1"), await h.CallAsync(1, key: "k"));
    }

    [Fact]
    public async Task Admin_WithoutAToken_Answers403ToARemoteClientAndServesALoopbackOne()
    {
        using var repo = new TempDirectory();
        SampleRepository.CopySample(repo.Path, "fraud");
        await using var app = await UsherApp.StartAsync(repo.Path, configure: b => b.Services.AddSingleton<IStartupFilter>(new RemoteAddressFilter()));

        using var remote = new HttpRequestMessage(HttpMethod.Get, "/admin/endpoints");
        remote.Headers.Add(RemoteAddressFilter.Header, "203.0.113.7");
        using var remoteResponse = await app.Client.SendAsync(remote);
        using var local = new HttpRequestMessage(HttpMethod.Get, "/admin/endpoints");
        local.Headers.Add(RemoteAddressFilter.Header, "127.0.0.1");
        using var localResponse = await app.Client.SendAsync(local);
        using var remoteInfer = new HttpRequestMessage(HttpMethod.Get, "/v2/models/fraud");
        remoteInfer.Headers.Add(RemoteAddressFilter.Header, "203.0.113.7");
        using var remoteData = await app.Client.SendAsync(remoteInfer);

        Assert.Contains("only loopback clients", await HttpAssert.ErrorAsync(remoteResponse, HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, localResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, remoteData.StatusCode);
    }

    [Fact]
    public async Task Deploy_WithABadSpec_Answers400ListingEveryProblem()
    {
        await using var h = await StartWithTwoVersionsAsync();
        const string spec = """
            {"endpoint": "fraud", "version": 0, "strategy": "canari", "extra": true,
             "canary": {"steps": [50, 40], "interval": "soon", "intervall": "60s"}, "analysis": {"alpha": 2}}
            """;

        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments", spec, HttpStatusCode.BadRequest);

        var problems = error.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        string[] keys = ["extra:", "version: 0 is below", "strategy: unknown strategy 'canari'", "canary.steps: the last step is 40", "canary.steps: [50, 40] must be strictly ascending", "canary.interval:", "canary.intervall: unknown key (did you mean 'interval'?)", "analysis.alpha:"];
        Assert.Equal(keys.Length, problems.Count);
        foreach (var key in keys)
        {
            Assert.Single(problems, p => p.StartsWith(key, StringComparison.Ordinal));
        }

        var message = error.GetProperty("error").GetString()!;
        Assert.All(problems, p => Assert.Contains(p, message, StringComparison.Ordinal));
        Assert.Empty(h.App.Controller.Active);
        await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/rollout", expected: HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deploy_WithInvalidJson_Answers400()
    {
        await using var h = await StartWithTwoVersionsAsync();
        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments", "{\"endpoint\": ", HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/admin/endpoints/nope/rollout")]
    [InlineData("GET", "/admin/endpoints/fraud/rollout")]
    [InlineData("POST", "/admin/endpoints/nope/rollout/pause")]
    [InlineData("POST", "/admin/endpoints/fraud/rollout/promote")]
    [InlineData("POST", "/admin/endpoints/fraud/rollout/explode")]
    [InlineData("PUT", "/admin/endpoints/nope/faults/2")]
    [InlineData("DELETE", "/admin/endpoints/nope/faults/2")]
    public async Task Admin_UnknownEndpointOrNoRollout_Answers404(string method, string path)
    {
        await using var h = await StartWithTwoVersionsAsync();
        var body = method == "PUT" ? new { abort_fraction = 0.1 } : null;
        var error = await h.AdminJsonAsync(new HttpMethod(method), path, body, HttpStatusCode.NotFound);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    [Theory]
    [InlineData("/admin/endpoints/nope/faults/2", HttpStatusCode.NotFound, "unknown endpoint 'nope'")]
    [InlineData("/admin/endpoints/fraud/faults/two", HttpStatusCode.BadRequest, "got 'two'")]
    public async Task Fault_OnKestrelWithABadTarget_AnswersACompleteError(string path, HttpStatusCode status, string says)
    {
        await using var h = await RolloutHarness.StartAsync([1], kestrel: true);
        for (var i = 0; i < 5; i++)
        {
            var put = await h.AdminJsonAsync(HttpMethod.Put, path, new { abort_fraction = 0.1 }, status);
            var delete = await h.AdminJsonAsync(HttpMethod.Delete, path, null, status);
            Assert.Contains(says, put.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Contains(says, delete.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Deploy_ToAnUnknownEndpoint_Answers404()
    {
        await using var h = await StartWithTwoVersionsAsync();
        var error = await h.DeployAsync(new { endpoint = "nope", version = 1, strategy = "direct" }, HttpStatusCode.NotFound);
        Assert.Contains("'nope'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_WhileARolloutIsActiveOrOfTheServingVersion_Answers409()
    {
        await using var h = await StartWithTwoVersionsAsync();
        var serving = await h.DeployAsync(Canary(1), HttpStatusCode.Conflict);
        Assert.Contains("already serves", serving.GetProperty("error").GetString(), StringComparison.Ordinal);

        var first = await h.DeployAsync(Canary());
        var second = await h.DeployAsync(Canary(), HttpStatusCode.Conflict);

        Assert.Contains("has an active rollout", second.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(first.GetProperty("id").GetInt64(), h.App.Controller.Active["fraud"].Id);
    }

    [Fact]
    public async Task Pause_WhenNotProgressing_Answers409AndResumeRestartsTheStep()
    {
        await using var h = await StartWithTwoVersionsAsync();
        await h.DeployAsync(Canary());

        var paused = await h.ActAsync("pause");
        var again = await h.ActAsync("pause", HttpStatusCode.Conflict);
        h.Time.Advance(TimeSpan.FromSeconds(5));
        var resumed = await h.ActAsync("resume");
        var resumedAgain = await h.ActAsync("resume", HttpStatusCode.Conflict);
        await h.ActAsync("rollback");
        var afterEnd = await h.ActAsync("pause", HttpStatusCode.Conflict);

        Assert.Equal("paused", paused.GetProperty("phase").GetString());
        Assert.Equal(5, paused.GetProperty("weight").GetInt32());
        Assert.True(paused.GetProperty("next_decision_at").ValueKind == JsonValueKind.Null);
        Assert.Contains("only a progressing canary can be paused", again.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("progressing", resumed.GetProperty("phase").GetString());
        Assert.Equal(Start.AddSeconds(5), resumed.GetProperty("step_started_at").GetDateTimeOffset());
        Assert.Equal(Start.AddSeconds(65), resumed.GetProperty("next_decision_at").GetDateTimeOffset());
        Assert.Contains("only a paused or inconclusive canary can be resumed", resumedAgain.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("no active rollout", afterEnd.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());
    }

    [Fact]
    public async Task Fault_WithBadValues_Answers400ListingEveryProblem()
    {
        await using var h = await StartWithTwoVersionsAsync();

        var error = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", new { abort_fraction = 1.5, abort_status = 200, delay_fraction = 0.5, bogus = 1 }, HttpStatusCode.BadRequest);
        var badVersion = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/two", new { abort_fraction = 0.1 }, HttpStatusCode.BadRequest);
        var notObject = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", "[0.1]", HttpStatusCode.BadRequest);
        var nothing = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", new { }, HttpStatusCode.BadRequest);

        var problems = error.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal(4, problems.Count);
        Assert.Single(problems, p => p.StartsWith("bogus: unknown key", StringComparison.Ordinal));
        Assert.Single(problems, p => p.Contains("abort fraction 1.5 is outside 0..1", StringComparison.Ordinal));
        Assert.Single(problems, p => p.Contains("abort status 200 is not an error status", StringComparison.Ordinal));
        Assert.Single(problems, p => p.Contains("a delay fraction needs a delay", StringComparison.Ordinal));
        Assert.Contains("'two'", badVersion.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("expected a JSON object", notObject.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("the fault does nothing", nothing.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty((await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints")).GetProperty("endpoints")[0].GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public async Task Fault_ForOneReplica_OnAServerWithAStateFile_Answers400WithEveryProblem_AndTheReplicasAre404()
    {
        await using var h = await StartWithTwoVersionsAsync();
        const string needsShared = "replica: a fault for one replica needs the shared state (usher serve --state postgresql://...); this server keeps its state in a file and is the only replica, so leave out replica";

        var scoped = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", new { abort_fraction = 1.5, replica = "host-a" }, HttpStatusCode.BadRequest);
        var notText = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", new { abort_fraction = 0.5, replica = 7 }, HttpStatusCode.BadRequest);
        var clear = await h.AdminJsonAsync(HttpMethod.Delete, "/admin/endpoints/fraud/faults/2?replica=host-a", null, HttpStatusCode.BadRequest);
        var clearEmpty = await h.AdminJsonAsync(HttpMethod.Delete, "/admin/endpoints/fraud/faults/2?replica=", null, HttpStatusCode.BadRequest);
        var replicas = await h.AdminJsonAsync(HttpMethod.Get, "/admin/replicas", null, HttpStatusCode.NotFound);

        Assert.Equal(
            ["abort fraction 1.5 is outside 0..1", needsShared],
            scoped.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).Select(p => p.Contains("abort fraction", StringComparison.Ordinal) ? "abort fraction 1.5 is outside 0..1" : p));
        Assert.Equal(["replica: expected a replica id (see `usher replicas`), got 7"], notText.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal([needsShared], clear.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(["replica: expected a replica id (see `usher replicas`), got an empty one"], clearEmpty.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains("there is no registry of replicas", replicas.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty((await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints")).GetProperty("endpoints")[0].GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public async Task Fault_SetAndCleared_ShowsInTheEndpointsListAndTheHistory()
    {
        await using var h = await StartWithTwoVersionsAsync();

        var set = await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/1", new { abort_fraction = 1.0, abort_status = 502 });
        var failed = await h.CallAsync(1, key: "k");
        var listed = (await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints")).GetProperty("endpoints")[0].GetProperty("faults").EnumerateArray().Single();
        var cleared = await h.AdminJsonAsync(HttpMethod.Delete, "/admin/endpoints/fraud/faults/1");
        var clearedAgain = await h.AdminJsonAsync(HttpMethod.Delete, "/admin/endpoints/fraud/faults/1");
        var served = await h.CallAsync(1, key: "k");

        Assert.Equal("fraud", set.GetProperty("endpoint").GetString());
        Assert.Equal("fraud:1", set.GetProperty("variant").GetString());
        Assert.Equal(1.0, set.GetProperty("fault").GetProperty("abort_fraction").GetDouble());
        Assert.Equal(502, set.GetProperty("fault").GetProperty("abort_status").GetInt32());
        Assert.Equal((HttpStatusCode.BadGateway, "fraud:1"), failed);
        Assert.Equal("fraud:1", listed.GetProperty("variant").GetString());
        Assert.Equal(502, listed.GetProperty("abort_status").GetInt32());
        Assert.Equal(0, listed.GetProperty("delay_ms").GetDouble());
        Assert.True(cleared.GetProperty("cleared").GetBoolean());
        Assert.False(clearedAgain.GetProperty("cleared").GetBoolean());
        Assert.Equal((HttpStatusCode.OK, "fraud:1"), served);
        var kinds = (await h.HistoryAsync()).Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(1, kinds.Count(k => k == "fault"));
        Assert.Equal(1, kinds.Count(k => k == "fault_cleared"));
    }

    [Fact]
    public async Task RolloutStatus_OfACanary_HasEveryFieldWithValuesFromTheSpecAndTheClock()
    {
        await using var h = await StartWithTwoVersionsAsync();
        var deployed = await h.DeployAsync(Canary());
        await h.SendPairedAsync(10, "fraud:1", "fraud:2");
        await h.AdvanceAsync(TimeSpan.FromSeconds(10));

        var r = await h.RolloutAsync();

        string[] fields =
        [
            "id", "endpoint", "model", "strategy", "phase", "stable_version", "candidate_version", "step", "steps", "weight",
            "interval_seconds", "step_started_at", "next_decision_at", "rollback_window_ends_at", "reason", "created_at", "updated_at", "analysis", "spec",
        ];
        Assert.Equal(fields, r.EnumerateObject().Select(p => p.Name));
        Assert.Equal(deployed.GetProperty("id").GetInt64(), r.GetProperty("id").GetInt64());
        Assert.Equal("fraud", r.GetProperty("endpoint").GetString());
        Assert.Equal("fraud", r.GetProperty("model").GetString());
        Assert.Equal("canary", r.GetProperty("strategy").GetString());
        Assert.Equal("progressing", r.GetProperty("phase").GetString());
        Assert.Equal(1, r.GetProperty("stable_version").GetInt64());
        Assert.Equal(2, r.GetProperty("candidate_version").GetInt64());
        Assert.Equal(0, r.GetProperty("step").GetInt32());
        Assert.Equal([5, 25, 50, 100], r.GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(5, r.GetProperty("weight").GetInt32());
        Assert.Equal(60, r.GetProperty("interval_seconds").GetDouble());
        Assert.Equal(Start, r.GetProperty("step_started_at").GetDateTimeOffset());
        Assert.Equal(Start.AddSeconds(60), r.GetProperty("next_decision_at").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("rollback_window_ends_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("reason").ValueKind);
        Assert.Equal(Start, r.GetProperty("created_at").GetDateTimeOffset());

        // Ten requests per variant of the fifty the spec asks for: the analysis waits, with the counts.
        var analysis = r.GetProperty("analysis");
        Assert.Equal("wait", analysis.GetProperty("verdict").GetString());
        Assert.Equal(Start, analysis.GetProperty("window_start").GetDateTimeOffset());
        Assert.Equal(10, analysis.GetProperty("stable").GetProperty("requests").GetInt64());
        Assert.Equal(10, analysis.GetProperty("canary").GetProperty("requests").GetInt64());
        Assert.Equal(0, analysis.GetProperty("canary").GetProperty("errors").GetInt64());
        Assert.Equal(["error_rate", "latency", "prediction_drift"], analysis.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.All(analysis.GetProperty("checks").EnumerateArray(), c => Assert.Equal("wait", c.GetProperty("outcome").GetString()));

        var spec = r.GetProperty("spec");
        Assert.Equal("fraud", spec.GetProperty("endpoint").GetString());
        Assert.Equal(2, spec.GetProperty("version").GetInt64());
        Assert.Equal("1m", spec.GetProperty("canary").GetProperty("interval").GetString());
        Assert.Equal(50, spec.GetProperty("analysis").GetProperty("min_requests").GetInt32());
        Assert.Equal(0.05, spec.GetProperty("analysis").GetProperty("max_error_rate").GetDouble());
    }

    [Fact]
    public async Task HistoryAndEndpoints_HaveTheirShapes()
    {
        await using var h = await StartWithTwoVersionsAsync();
        var deployed = await h.DeployAsync(Canary());

        var history = await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/history");
        var limited = await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/history?limit=1");
        await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/history?limit=0", expected: HttpStatusCode.BadRequest);
        var endpoints = await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints");

        Assert.Equal("fraud", history.GetProperty("endpoint").GetString());
        var events = history.GetProperty("events").EnumerateArray().ToList();
        Assert.All(events, e => Assert.Equal(["id", "rollout_id", "at", "kind", "actor", "message", "data"], e.EnumerateObject().Select(p => p.Name)));
        var ids = events.Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var route = events.First();
        Assert.Equal("route", route.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, route.GetProperty("rollout_id").ValueKind);
        var deploy = events.Single(e => e.GetProperty("kind").GetString() == "deploy");
        Assert.Equal(deployed.GetProperty("id").GetInt64(), deploy.GetProperty("rollout_id").GetInt64());
        Assert.Equal("operator", deploy.GetProperty("actor").GetString());
        Assert.Equal(Start, deploy.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("canary", deploy.GetProperty("data").GetProperty("strategy").GetString());
        Assert.Equal([5, 25, 50, 100], deploy.GetProperty("data").GetProperty("canary").GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Single(limited.GetProperty("events").EnumerateArray());

        var endpoint = endpoints.GetProperty("endpoints").EnumerateArray().Single();
        Assert.Equal(["name", "variants", "rollout", "faults"], endpoint.EnumerateObject().Select(p => p.Name));
        Assert.Equal("fraud", endpoint.GetProperty("name").GetString());
        var variants = endpoint.GetProperty("variants").EnumerateArray().Select(v => (v.GetProperty("model").GetString(), v.GetProperty("version").GetInt64(), v.GetProperty("weight").GetDouble())).ToList();
        Assert.Equal([("fraud", 2L, 5.0), ("fraud", 1L, 95.0)], variants);
        Assert.Equal(deployed.GetProperty("id").GetInt64(), endpoint.GetProperty("rollout").GetProperty("id").GetInt64());
        Assert.Equal("canary", endpoint.GetProperty("rollout").GetProperty("strategy").GetString());
        Assert.Equal("progressing", endpoint.GetProperty("rollout").GetProperty("phase").GetString());
        Assert.Empty(endpoint.GetProperty("faults").EnumerateArray());
    }
}
