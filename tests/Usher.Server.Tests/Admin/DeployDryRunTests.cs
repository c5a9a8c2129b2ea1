using System.Net;

namespace Usher.Server.Tests.Admin;

/// <summary><c>POST /admin/deployments?dry_run=true</c>: the verdict on a spec, and nothing started.</summary>
public sealed class DeployDryRunTests
{
    [Fact]
    public async Task DryRun_ValidSpec_AnswersTheNormalizedSpec_AndStartsNothing()
    {
        await using var h = await StartAsync();

        var answer = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments?dry_run=true", """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"interval": "90s"}}""");

        Assert.True(answer.GetProperty("dry_run").GetBoolean());
        var spec = answer.GetProperty("spec");
        Assert.Equal(("fraud", "fraud", 2L, "canary"), (spec.GetProperty("endpoint").GetString(), spec.GetProperty("model").GetString(), spec.GetProperty("version").GetInt64(), spec.GetProperty("strategy").GetString()));
        // The defaults the server would run with, spelled out: docs/rollouts.md's table.
        Assert.Equal([5, 25, 50, 100], spec.GetProperty("canary").GetProperty("steps").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal("90s", spec.GetProperty("canary").GetProperty("interval").GetString());
        Assert.Equal(100, spec.GetProperty("analysis").GetProperty("min_requests").GetInt32());
        Assert.Equal("10m", spec.GetProperty("analysis").GetProperty("inconclusive_after").GetString());
        Assert.False(spec.TryGetProperty("blue_green", out _));
        Assert.Empty(h.App.Controller.Active);
        await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/rollout", expected: HttpStatusCode.NotFound);
        Assert.Equal(["fraud:1"], (await h.WeightsAsync()).Keys);
    }

    [Fact]
    public async Task DryRun_InvalidSpec_Answers400WithEveryProblem_AndStartsNothing()
    {
        await using var h = await StartAsync();

        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments?dry_run=true", """{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [100], "interval": 90}}""", HttpStatusCode.BadRequest);

        Assert.Equal(
            [
                "canary.steps: [100] leaves no step to analyze (steps below 100 are judged; reaching 100 is the promotion); use strategy direct to switch at once",
                "canary.interval: 90 has no unit (expected a duration such as 500ms, 90s, 10m or 1h; e.g. 90s)",
            ],
            error.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        Assert.Empty(h.App.Controller.Active);
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("")]
    public async Task DryRun_NotTrueOrFalse_Answers400(string value)
    {
        await using var h = await StartAsync();

        var error = await h.AdminJsonAsync(HttpMethod.Post, $"/admin/deployments?dry_run={value}", """{"endpoint": "fraud", "version": 2, "strategy": "direct"}""", HttpStatusCode.BadRequest);

        Assert.Equal($"dry_run: expected true or false, got '{value}'", error.GetProperty("error").GetString());
        Assert.Empty(h.App.Controller.Active);
    }

    [Fact]
    public async Task DryRunFalse_Deploys()
    {
        await using var h = await StartAsync();

        var rollout = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments?dry_run=false", """{"endpoint": "fraud", "version": 2, "strategy": "direct"}""", HttpStatusCode.Created);

        Assert.Equal("direct", rollout.GetProperty("strategy").GetString());
    }

    // The admin API used to accept these and ignore the section; only the CLI refused them.
    [Fact]
    public async Task Deploy_BlueGreenCarryingCanarySteps_IsRefused()
    {
        await using var h = await StartAsync();

        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments", """{"endpoint": "fraud", "version": 2, "strategy": "blue-green", "canary": {"steps": [5, 100]}}""", HttpStatusCode.BadRequest);

        Assert.Equal(
            ["canary: applies only to strategy canary or shadow, not blue-green; remove the section or set strategy: canary"],
            error.GetProperty("problems").EnumerateArray().Select(p => p.GetString()));
        Assert.Empty(h.App.Controller.Active);
    }

    // The checks a real start makes before it stores anything, made once (RolloutAdmission): a dry run
    // used to accept these, and only the deployment found out.
    [Fact]
    public async Task DryRun_OfAVersionNotInTheRepository_Answers404WithTheVersionsOnDisk_AndStartsNothing()
    {
        await using var h = await StartAsync();

        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments?dry_run=true", """{"endpoint": "fraud", "version": 7, "strategy": "canary"}""", HttpStatusCode.NotFound);
        var real = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments", """{"endpoint": "fraud", "version": 7, "strategy": "canary"}""", HttpStatusCode.NotFound);

        Assert.Equal("model 'fraud' has no version 7 in the repository (versions on disk: 1, 2); add the folder <repository>/fraud/7/ first", error.GetProperty("error").GetString());
        Assert.Equal(error.GetProperty("error").GetString(), real.GetProperty("error").GetString());
        Assert.Empty(h.App.Controller.Active);
        await h.AdminJsonAsync(HttpMethod.Get, "/admin/endpoints/fraud/rollout", expected: HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task DryRun_OfAnExperimentArmNotInTheRepository_Answers404()
    {
        await using var h = await StartAsync();

        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments?dry_run=true", """{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 3, "weight": 50}]}}""", HttpStatusCode.NotFound);

        Assert.StartsWith("model 'fraud' has no version 3 in the repository", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(h.App.Controller.Active);
    }

    [Fact]
    public async Task DryRun_WhileARolloutIsActive_Answers409_AsTheRealStartWould()
    {
        await using var h = await StartAsync();
        await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments", """{"endpoint": "fraud", "version": 2, "strategy": "canary"}""", HttpStatusCode.Created);

        var error = await h.AdminJsonAsync(HttpMethod.Post, "/admin/deployments?dry_run=true", """{"endpoint": "fraud", "version": 2, "strategy": "canary"}""", HttpStatusCode.Conflict);

        Assert.Contains("endpoint 'fraud' has an active rollout", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(h.App.Controller.Active);
    }

    private static async Task<RolloutHarness> StartAsync()
    {
        var h = await RolloutHarness.StartAsync([1]);
        h.AddVersion(2);
        await h.LoadAsync();
        return h;
    }
}
