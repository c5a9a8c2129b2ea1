using System.Globalization;
using System.Net;
using System.Text.Json;
using Usher.Core.Routing;

namespace Usher.Server.Tests.Admin;

/// <summary>Canary rollouts end to end: deployed through the admin API, judged on real traffic, stepped by fake time.</summary>
public sealed class CanaryRolloutTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private static object Canary(int version, int[] steps, object? analysis = null) => new
    {
        endpoint = RolloutHarness.Endpoint,
        version,
        strategy = "canary",
        canary = new { steps, interval = "60s" },
        analysis = analysis ?? new { min_requests = 50, min_predictions = 50 },
    };

    [Fact]
    public async Task Canary_WithInjectedAborts_RollsBackWithinOneIntervalAndThenGetsNoTraffic()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        Assert.True(h.IsLoaded(2));
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());

        var deployed = await h.DeployAsync(Canary(2, [50, 100]));
        Assert.Equal("progressing", deployed.GetProperty("phase").GetString());
        Assert.Equal(50, deployed.GetProperty("weight").GetInt32());
        await h.AdminJsonAsync(HttpMethod.Put, "/admin/endpoints/fraud/faults/2", new { abort_fraction = 0.1, abort_status = 503 });

        // Count what clients saw, per variant, independently of the server's recorder.
        var requests = new Dictionary<string, int>(StringComparer.Ordinal) { ["fraud:1"] = 0, ["fraud:2"] = 0 };
        var errors = new Dictionary<string, int>(StringComparer.Ordinal) { ["fraud:1"] = 0, ["fraud:2"] = 0 };
        for (var i = 0; i < 300; i++)
        {
            var (status, variant) = await h.CallAsync(i, key: "user-" + i.ToString(CultureInfo.InvariantCulture));
            Assert.NotNull(variant);
            requests[variant]++;
            if (status != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                errors[variant]++;
            }
        }

        Assert.Equal(0, errors["fraud:1"]);
        Assert.InRange(errors["fraud:2"], 1, requests["fraud:2"]);
        Assert.True(requests["fraud:1"] >= 50 && requests["fraud:2"] >= 50, $"both variants need the minimum sample: {requests["fraud:1"]} and {requests["fraud:2"]}");

        // A sixth of the interval: the error-rate check does not wait for the step to end.
        await h.AdvanceAsync(Interval / 6);

        var rollout = await h.RolloutAsync();
        Assert.Equal("rolled_back", rollout.GetProperty("phase").GetString());
        Assert.Equal(0, rollout.GetProperty("weight").GetInt32());
        var reason = rollout.GetProperty("reason").GetString()!;
        Assert.Contains("error_rate", reason, StringComparison.Ordinal);

        var rollback = (await h.HistoryAsync()).Last(e => e.GetProperty("kind").GetString() == "rollback");
        Assert.Equal("controller", rollback.GetProperty("actor").GetString());
        var message = rollback.GetProperty("message").GetString()!;
        Assert.Contains($"({errors["fraud:2"]}/{requests["fraud:2"]})", message, StringComparison.Ordinal);
        Assert.Contains($"(0/{requests["fraud:1"]})", message, StringComparison.Ordinal);
        var statistics = ErrorRateStatistics(rollback.GetProperty("data"));
        Assert.Equal(requests["fraud:2"], statistics.GetProperty("canary_requests").GetDouble());
        Assert.Equal(errors["fraud:2"], statistics.GetProperty("canary_errors").GetDouble());
        Assert.Equal(requests["fraud:1"], statistics.GetProperty("stable_requests").GetDouble());
        Assert.Equal((double)errors["fraud:2"] / requests["fraud:2"], statistics.GetProperty("canary_error_rate").GetDouble(), 9);

        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());
        Assert.False(h.IsLoaded(2));
        for (var i = 0; i < 500; i++)
        {
            var (status, variant) = await h.CallAsync(i, key: "after-" + i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("fraud:1", variant);
        }
    }

    [Fact]
    public async Task Direct_ToAnOlderVersion_ThenACanaryOfTheNewerOneStartsFromIt()
    {
        // Both versions on disk at start: the endpoint serves the newest, as a plain server does.
        await using var h = await RolloutHarness.StartAsync([1, 2]);
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 100 }, await h.WeightsAsync());

        var direct = await h.DeployAsync(new { endpoint = RolloutHarness.Endpoint, version = 1, strategy = "direct" });

        Assert.Equal("succeeded", direct.GetProperty("phase").GetString());
        Assert.Equal(2, direct.GetProperty("stable_version").GetInt64());
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());
        Assert.False(h.IsLoaded(2));
        Assert.Equal((HttpStatusCode.OK, "fraud:1"), await h.CallAsync(1, key: "k"));

        var canary = await h.DeployAsync(Canary(2, [50, 100]));

        Assert.Equal("progressing", canary.GetProperty("phase").GetString());
        Assert.Equal(1, canary.GetProperty("stable_version").GetInt64());
        Assert.True(h.IsLoaded(2));
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 50, ["fraud:1"] = 50 }, await h.WeightsAsync());
    }

    [Fact]
    public async Task Canary_WhosePredictionsDrift_RollsBackOnPredictionDrift()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddDriftedVersion(3);
        await h.LoadAsync();
        await h.DeployAsync(Canary(3, [50, 100]));

        for (var i = 0; i < 200; i++)
        {
            var (status, _) = await h.CallAsync(i, key: "user-" + i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(HttpStatusCode.OK, status);
        }

        await h.AdvanceAsync(Interval);

        var rollout = await h.RolloutAsync();
        Assert.Equal("rolled_back", rollout.GetProperty("phase").GetString());
        var reason = rollout.GetProperty("reason").GetString()!;
        Assert.Contains("prediction_drift", reason, StringComparison.Ordinal);
        Assert.Contains("PSI", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("error_rate", reason, StringComparison.Ordinal);
        var drift = rollout.GetProperty("analysis").GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "prediction_drift");
        Assert.Equal("fail", drift.GetProperty("outcome").GetString());
        Assert.True(drift.GetProperty("statistics").GetProperty("psi").GetDouble() >= 0.2);
        Assert.Equal(new Dictionary<string, double> { ["fraud:1"] = 100 }, await h.WeightsAsync());
    }

    [Fact]
    public async Task Canary_OfAHealthyRetrain_PromotesThroughEveryStepAndUnloadsTheOldVersion()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        await h.DeployAsync(Canary(2, [5, 25, 50, 100]));

        // Steps below 100% are judged; passing the last of them (50%) is the promotion to 100%.
        int[] weights = [5, 25, 50];
        for (var step = 0; step < weights.Length; step++)
        {
            var rollout = await h.RolloutAsync();
            Assert.True(rollout.GetProperty("phase").GetString() == "progressing", rollout.ToString());
            Assert.Equal(step, rollout.GetProperty("step").GetInt32());
            Assert.Equal(weights[step], rollout.GetProperty("weight").GetInt32());
            var table = await h.WeightsAsync();
            Assert.Equal(weights[step], table["fraud:2"]);
            Assert.Equal(100 - weights[step], table["fraud:1"]);
            await h.SendPairedAsync(200, "fraud:1", "fraud:2");
            await h.AdvanceAsync(Interval);
        }

        var done = await h.RolloutAsync();
        Assert.Equal("succeeded", done.GetProperty("phase").GetString());
        Assert.Equal(100, done.GetProperty("weight").GetInt32());
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 100 }, await h.WeightsAsync());
        Assert.False(h.IsLoaded(1));
        Assert.True(h.IsLoaded(2));

        var history = await h.HistoryAsync();
        var kinds = history.Where(e => e.GetProperty("rollout_id").ValueKind == JsonValueKind.Number).Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["deploy", "step", "analysis", "step", "analysis", "step", "analysis", "complete"], kinds);
        var steps = history.Where(e => e.GetProperty("kind").GetString() == "step").Select(e => e.GetProperty("message").GetString()!).ToList();
        for (var i = 0; i < weights.Length; i++)
        {
            Assert.Contains($"canary weight {weights[i]}%", steps[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Canary_AfterARestart_ResumesAtTheSameStepWithTheSameWeights()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        var deployed = await h.DeployAsync(Canary(2, [5, 25, 50, 100]));
        await h.SendPairedAsync(200, "fraud:1", "fraud:2");
        await h.AdvanceAsync(Interval);
        var before = await h.RolloutAsync();
        Assert.True(before.GetProperty("weight").GetInt32() == 25, before.ToString());

        await h.RestartAsync();

        var rollout = await h.RolloutAsync();
        Assert.Equal(deployed.GetProperty("id").GetInt64(), rollout.GetProperty("id").GetInt64());
        Assert.Equal("progressing", rollout.GetProperty("phase").GetString());
        Assert.Equal(1, rollout.GetProperty("step").GetInt32());
        Assert.Equal(25, rollout.GetProperty("weight").GetInt32());
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 25, ["fraud:1"] = 75 }, await h.WeightsAsync());
        Assert.True(h.IsLoaded(1));
        Assert.True(h.IsLoaded(2));
        var last = (await h.HistoryAsync()).Last();
        Assert.Equal("resume", last.GetProperty("kind").GetString());
        Assert.Equal(deployed.GetProperty("id").GetInt64(), last.GetProperty("rollout_id").GetInt64());

        // The same keys keep their variant across the restart: routing depends only on key and table.
        for (var i = 0; i < 40; i++)
        {
            var key = "user-" + i.ToString(CultureInfo.InvariantCulture);
            var expected = BucketHash.Hash(RolloutHarness.Endpoint, key) < 0.25 ? "fraud:2" : "fraud:1";
            Assert.Equal((HttpStatusCode.OK, expected), await h.CallAsync(i, key: key));
        }

        // And it keeps going from there.
        await h.SendPairedAsync(200, "fraud:1", "fraud:2");
        await h.AdvanceAsync(Interval);
        Assert.Equal(50, (await h.RolloutAsync()).GetProperty("weight").GetInt32());
    }

    [Fact]
    public async Task Model_WithARolloutSection_StartsACanaryWhenANewVersionAppears()
    {
        const string section =
            "rollout:\n" +
            "  strategy: canary\n" +
            "  canary: {steps: [50, 100], interval: 30s}\n" +
            "  analysis: {min_requests: 20, min_predictions: 20}\n";
        await using var h = await RolloutHarness.StartAsync([1], configYaml: section);
        Assert.Empty(h.App.Controller.Active);

        h.AddVersion(2);
        await h.LoadAsync();
        await h.AdvanceAsync(TimeSpan.FromSeconds(1));

        var rollout = await h.RolloutAsync();
        Assert.Equal("progressing", rollout.GetProperty("phase").GetString());
        Assert.Equal("canary", rollout.GetProperty("strategy").GetString());
        Assert.Equal(2, rollout.GetProperty("candidate_version").GetInt64());
        Assert.Equal(1, rollout.GetProperty("stable_version").GetInt64());
        Assert.Equal(50, rollout.GetProperty("weight").GetInt32());
        Assert.Equal(30, rollout.GetProperty("interval_seconds").GetDouble());
        Assert.Equal(20, rollout.GetProperty("spec").GetProperty("analysis").GetProperty("min_requests").GetInt32());
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 50, ["fraud:1"] = 50 }, await h.WeightsAsync());
        var deploy = (await h.HistoryAsync()).Single(e => e.GetProperty("kind").GetString() == "deploy");
        Assert.Equal("repository", deploy.GetProperty("actor").GetString());

        // A later tick does not start a second rollout of the same version.
        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(rollout.GetProperty("id").GetInt64(), (await h.RolloutAsync()).GetProperty("id").GetInt64());
        Assert.Single(await h.HistoryAsync(), e => e.GetProperty("kind").GetString() == "deploy");
    }

    [Fact]
    public async Task Model_WithARolloutSection_StartsACanaryWhenTheRepositoryPollFindsANewVersion()
    {
        const string section = "rollout: {strategy: canary, canary: {steps: [50, 100], interval: 30s}, analysis: {min_requests: 20, min_predictions: 20}}\n";
        await using var h = await RolloutHarness.StartAsync([1], configYaml: section, pollSeconds: 30);
        h.AddVersion(2);

        // The poller creates its timer once the start-up load is done, on its own task, and loads on
        // its own task: advance one poll interval at a time until the load is seen, with a real deadline.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!h.IsLoaded(2))
        {
            Assert.True(DateTime.UtcNow < deadline, "the repository poll did not load version 2");
            h.Time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(20);
        }

        await h.App.Controller.TickAsync(CancellationToken.None);
        await h.App.Controller.RepositoryDeploymentsAsync();

        var rollout = await h.RolloutAsync();
        Assert.Equal("progressing", rollout.GetProperty("phase").GetString());
        Assert.Equal(2, rollout.GetProperty("candidate_version").GetInt64());
        Assert.Equal(new[] { 50, 100 }, rollout.GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 50, ["fraud:1"] = 50 }, await h.WeightsAsync());
        Assert.Equal("repository", (await h.HistoryAsync()).Single(e => e.GetProperty("kind").GetString() == "deploy").GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Canary_WithoutEnoughTraffic_PausesAsInconclusiveAndResumesWithAFreshWindow()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        await h.DeployAsync(new
        {
            endpoint = RolloutHarness.Endpoint,
            version = 2,
            strategy = "canary",
            canary = new { steps = new[] { 50, 100 }, interval = "60s" },
            analysis = new { min_requests = 50, min_predictions = 50, inconclusive_after = "2m" },
        });
        await h.SendPairedAsync(10, "fraud:1", "fraud:2");

        await h.AdvanceAsync(Interval);
        Assert.Equal("progressing", (await h.RolloutAsync()).GetProperty("phase").GetString());
        await h.AdvanceAsync(TimeSpan.FromMinutes(2));

        var stuck = await h.RolloutAsync();
        Assert.Equal("inconclusive", stuck.GetProperty("phase").GetString());
        Assert.Contains("not enough data at 50%", stuck.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("(0/10)", stuck.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 50, ["fraud:1"] = 50 }, await h.WeightsAsync());

        var resumed = await h.ActAsync("resume");
        Assert.Equal("progressing", resumed.GetProperty("phase").GetString());
        Assert.Equal(h.Time.GetUtcNow(), resumed.GetProperty("step_started_at").GetDateTimeOffset());
        await h.SendPairedAsync(200, "fraud:1", "fraud:2");
        await h.AdvanceAsync(Interval);
        Assert.Equal(100, (await h.RolloutAsync()).GetProperty("weight").GetInt32());
    }

    [Fact]
    public async Task Canary_RolledBackByAnOperator_CanBeDeployedAgain()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        await h.DeployAsync(Canary(2, [50, 100]));
        var rolledBack = await h.ActAsync("rollback");
        Assert.Equal("rolled_back", rolledBack.GetProperty("phase").GetString());
        Assert.False(h.IsLoaded(2));

        // A rejected version stays unloaded through a reload of the repository...
        await h.LoadAsync();
        Assert.False(h.IsLoaded(2));

        // ...until an operator deploys it again.
        var again = await h.DeployAsync(Canary(2, [50, 100]));
        Assert.Equal("progressing", again.GetProperty("phase").GetString());
        Assert.True(h.IsLoaded(2));
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 50, ["fraud:1"] = 50 }, await h.WeightsAsync());
        var promoted = await h.ActAsync("promote");
        Assert.Equal("succeeded", promoted.GetProperty("phase").GetString());
        Assert.Equal(new Dictionary<string, double> { ["fraud:2"] = 100 }, await h.WeightsAsync());
        Assert.False(h.IsLoaded(1));
    }

    [Fact]
    public async Task Canary_RestartedDuringItsLastJudgedStep_ResumesThere_AndPromotesWhenItPasses()
    {
        await using var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        await h.DeployAsync(new
        {
            endpoint = RolloutHarness.Endpoint,
            version = 2,
            strategy = "canary",
            canary = new { steps = new[] { 50, 100 }, interval = "60s" },
            analysis = new { min_requests = 50, min_predictions = 50, inconclusive_after = "2m" },
        });
        await h.SendPairedAsync(200, "fraud:1", "fraud:2");

        // The samples before the restart are in memory only: the step starts a fresh window.
        await h.RestartAsync();
        var resumed = await h.RolloutAsync();
        Assert.Equal(("progressing", 50), (resumed.GetProperty("phase").GetString(), resumed.GetProperty("weight").GetInt32()));
        await h.AdvanceAsync(Interval);
        Assert.Equal("progressing", (await h.RolloutAsync()).GetProperty("phase").GetString());

        await h.SendPairedAsync(200, "fraud:1", "fraud:2");
        await h.AdvanceAsync(Interval);

        Assert.Equal("succeeded", (await h.RolloutAsync()).GetProperty("phase").GetString());
        Assert.False(h.IsLoaded(1));
    }

    private static JsonElement ErrorRateStatistics(JsonElement analysis)
        => analysis.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "error_rate").GetProperty("statistics");
}
