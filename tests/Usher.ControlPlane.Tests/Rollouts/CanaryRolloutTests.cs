using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Tests.Rollouts;

public sealed class CanaryRolloutTests
{
    private const string Canary = """
        {"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [5, 25, 50, 100], "interval": "60s"},
         "analysis": {"min_requests": 100, "min_predictions": 100, "inconclusive_after": "5m"}}
        """;

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Deploy_StartsAtTheFirstStep_WithTheCandidateLoadedBesideStable()
    {
        await using var h = await ControllerHarness.StartAsync();
        Assert.Equal([(1L, 100.0)], h.Table);
        h.WriteVersion(2);

        var rollout = await h.DeployAsync(Canary);

        Assert.Equal((RolloutPhase.Progressing, 0, 5), (rollout.Phase, rollout.Step, rollout.CandidateWeight));
        Assert.Equal([(2L, 5.0), (1L, 95.0)], h.Table);
        Assert.Equal([1L, 2L], h.LoadedVersions);
    }

    [Fact]
    public async Task HealthySteps_AdvanceAtEachInterval_ThenPromote_AndUnloadTheOldVersion()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);

        foreach (var expected in new[] { 25, 50 })
        {
            h.Observe(1, 200, seed: expected);
            h.Observe(2, 200, seed: expected + 1);
            await h.AdvanceAndTickAsync(Interval / 2);
            Assert.True(h.Current.Phase == RolloutPhase.Progressing, h.Current.Reason);
            await h.AdvanceAndTickAsync(Interval / 2);
            Assert.Equal(expected, h.Current.CandidateWeight);
        }

        // Passing the 50% step is the promotion: at 100% there is no stable traffic to compare.
        h.Observe(1, 200, seed: 5);
        h.Observe(2, 200, seed: 6);
        await h.AdvanceAndTickAsync(Interval);

        Assert.Equal(RolloutPhase.Succeeded, h.Current.Phase);
        Assert.Equal([(2L, 100.0)], h.Table);
        Assert.Equal([2L], h.LoadedVersions);
        Assert.Equal(["route", "deploy", "step", "analysis", "step", "analysis", "step", "analysis", "complete"], await h.HistoryKindsAsync());
    }

    [Fact]
    public async Task ErrorRateAboveTheLimit_RollsBackAtOnce_WithoutWaitingForTheInterval()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        h.Observe(1, 500);
        h.Observe(2, 100, errors: 20);

        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));

        var rollout = h.Current;
        Assert.Equal(RolloutPhase.RolledBack, rollout.Phase);
        Assert.Contains("error_rate", rollout.Reason, StringComparison.Ordinal);
        Assert.Contains("20/100", rollout.Reason, StringComparison.Ordinal);
        Assert.Equal([(1L, 100.0)], h.Table);
        Assert.Equal([1L], h.LoadedVersions);
        var rollback = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).Last();
        Assert.Equal(("rollback", "controller"), (rollback.Kind, rollback.Actor));
        Assert.Contains("\"canary\":{\"requests\":100,\"errors\":20}", rollback.DataJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterARollback_NoRequestReachesTheCandidate()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        var during = await h.SendAsync(200);
        Assert.Contains(during, r => r.Variant == "fraud:2");
        await h.Controller.RollbackAsync("fraud", "rehearsal", CancellationToken.None);

        var after = await h.SendAsync(500);

        Assert.All(after, r => Assert.Equal("fraud:1", r.Variant));
        Assert.All(after, r => Assert.True(r.Result.IsSuccess));
    }

    [Fact]
    public async Task LatencyRegression_RollsBack_NamingTheRatio()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        h.Observe(1, 300, latencyMs: 2);
        h.Observe(2, 300, latencyMs: 6);

        await h.AdvanceAndTickAsync(Interval);

        Assert.Equal(RolloutPhase.RolledBack, h.Current.Phase);
        Assert.Contains("latency", h.Current.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PredictionDrift_RollsBack_NamingThePsi()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        h.Observe(1, 300, score: i => (i % 100) / 100.0);
        h.Observe(2, 300, score: i => 0.5 + ((i % 100) / 200.0));

        // Drift is tested sequentially (always valid), so plain drift rolls back at the first tick
        // that sees it, without waiting for the step's end.
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(RolloutPhase.RolledBack, h.Current.Phase);
        Assert.Equal(AnalysisVerdict.Fail, h.Current.LastAnalysis?.Report.Verdict);
        Assert.Contains("prediction_drift", h.Current.Reason, StringComparison.Ordinal);
        Assert.Contains("PSI", h.Current.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooFewSamples_Wait_ThenPauseAsInconclusive_AndResumeStartsAFreshWindow()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        h.Observe(1, 30);
        h.Observe(2, 30);

        await h.AdvanceAndTickAsync(Interval);
        Assert.Equal((RolloutPhase.Progressing, 5), (h.Current.Phase, h.Current.CandidateWeight));
        Assert.Equal(AnalysisVerdict.Wait, h.Current.LastAnalysis?.Report.Verdict);

        await h.AdvanceAndTickAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(RolloutPhase.Inconclusive, h.Current.Phase);
        Assert.Contains("not enough data at 5%", h.Current.Reason, StringComparison.Ordinal);
        Assert.Equal([(2L, 5.0), (1L, 95.0)], h.Table);

        var resumed = await h.Controller.ResumeAsync("fraud", null, CancellationToken.None);
        Assert.Equal(RolloutPhase.Progressing, resumed.Value!.Phase);
        Assert.Equal(h.Time.GetUtcNow(), resumed.Value.StepStartedAt);
        Assert.Equal(0, h.Controller.Recorder.Sample("fraud", "fraud:2").Requests);
    }

    [Fact]
    public async Task Pause_HoldsTheWeights_AndTakesNoStep()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        var paused = await h.Controller.PauseAsync("fraud", "looking at dashboards", CancellationToken.None);
        Assert.Equal(RolloutPhase.Paused, paused.Value!.Phase);

        await h.AdvanceAndTickAsync(Interval * 5);

        Assert.Equal((RolloutPhase.Paused, 5), (h.Current.Phase, h.Current.CandidateWeight));
        Assert.Equal([(2L, 5.0), (1L, 95.0)], h.Table);
        var again = await h.Controller.PauseAsync("fraud", null, CancellationToken.None);
        Assert.Equal(ControlErrorKind.Conflict, again.Error!.Kind);
    }

    [Fact]
    public async Task Promote_SendsAllTrafficToTheCandidateNow()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);

        var promoted = await h.Controller.PromoteAsync("fraud", null, CancellationToken.None);

        Assert.Equal(RolloutPhase.Succeeded, promoted.Value!.Phase);
        Assert.Equal([(2L, 100.0)], h.Table);
        Assert.Equal("operator", (await h.Controller.HistoryAsync("fraud", 1, CancellationToken.None))[0].Actor);
    }

    [Fact]
    public async Task Deploy_IsRefused_WhileARolloutIsActive_ForTheServingVersion_AndForAnUnknownEndpoint()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);

        var same = await h.Controller.DeployAsync(ControllerHarness.Spec("""{"endpoint": "fraud", "version": 1, "strategy": "canary"}"""), "operator", CancellationToken.None);
        Assert.Equal(ControlErrorKind.Conflict, same.Error!.Kind);
        var unknown = await h.Controller.DeployAsync(ControllerHarness.Spec("""{"endpoint": "nope", "version": 1, "strategy": "canary"}"""), "operator", CancellationToken.None);
        Assert.Equal(ControlErrorKind.NotFound, unknown.Error!.Kind);
        await h.DeployAsync(Canary);
        var second = await h.Controller.DeployAsync(ControllerHarness.Spec(Canary), "operator", CancellationToken.None);
        Assert.Equal(ControlErrorKind.Conflict, second.Error!.Kind);
        Assert.Contains("has an active rollout", second.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_OfAVersionThatIsNotInTheRepository_IsRefusedBeforeAnythingIsStored()
    {
        await using var h = await ControllerHarness.StartAsync();

        var result = await h.Controller.DeployAsync(ControllerHarness.Spec(Canary), "operator", CancellationToken.None);

        Assert.Equal(ControlErrorKind.NotFound, result.Error!.Kind);
        Assert.Equal("model 'fraud' has no version 2 in the repository (versions on disk: 1); add the folder <repository>/fraud/2/ first", result.Error.Message);
        Assert.Null(await h.Controller.StatusAsync("fraud", CancellationToken.None));
        Assert.Equal([(1L, 100.0)], h.Table);
    }

    [Fact]
    public async Task Restart_MidCanary_ResumesAtTheSameStep_WithAFreshWindow()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Canary);
        h.Observe(1, 200);
        h.Observe(2, 200);
        await h.AdvanceAndTickAsync(Interval);
        Assert.Equal(25, h.Current.CandidateWeight);

        await h.RestartControllerAsync();

        Assert.Equal((RolloutPhase.Progressing, 1, 25), (h.Current.Phase, h.Current.Step, h.Current.CandidateWeight));
        Assert.Equal([(2L, 25.0), (1L, 75.0)], h.Table);
        Assert.Equal("resume", (await h.Controller.HistoryAsync("fraud", 1, CancellationToken.None))[0].Kind);
        h.Observe(1, 200);
        h.Observe(2, 200);
        await h.AdvanceAndTickAsync(Interval);
        Assert.Equal(50, h.Current.CandidateWeight);
        Assert.Equal(RolloutPhase.Progressing, h.Current.Phase);
    }

    [Fact]
    public async Task ConfigRolloutSection_StartsACanary_WhenANewVersionAppears()
    {
        await using var h = await ControllerHarness.StartAsync("rollout: {strategy: canary, canary: {steps: [50, 100], interval: 30s}}\n");
        h.WriteVersion(2);

        await h.Models.PollOnceAsync(CancellationToken.None);
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));

        var rollout = h.Current;
        Assert.Equal((RolloutPhase.Progressing, 2L, 50), (rollout.Phase, rollout.CandidateVersion, rollout.CandidateWeight));
        Assert.Equal(TimeSpan.FromSeconds(30), rollout.Spec.Canary.Interval);
        var deploy = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).First(e => e.Kind == "deploy");
        Assert.Equal("repository", deploy.Actor);
    }

    [Fact]
    public async Task ConfigRolloutSection_DoesNotRestartARolledBackVersion()
    {
        await using var h = await ControllerHarness.StartAsync("rollout: {strategy: canary}\n");
        h.WriteVersion(2);
        await h.Models.PollOnceAsync(CancellationToken.None);
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));
        await h.Controller.RollbackAsync("fraud", "bad", CancellationToken.None);

        await h.Models.PollOnceAsync(CancellationToken.None);
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(RolloutPhase.RolledBack, h.Current.Phase);
        Assert.Equal([1L], h.LoadedVersions);
    }
}
