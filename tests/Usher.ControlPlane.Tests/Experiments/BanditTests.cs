using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Tests.Rollouts;

namespace Usher.ControlPlane.Tests.Experiments;

/// <summary>Thompson sampling: traffic follows the better arm, every arm keeps its minimum, and the state survives a restart.</summary>
public sealed class BanditTests
{
    private const string Bandit = """
        {"endpoint": "fraud", "strategy": "bandit", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "min_share": 0.1, "update_interval": "60s"}}
        """;

    [Fact]
    public void Weights_FollowTheProbabilityOfBeingBest()
    {
        // 10% vs 12% over 1000 each: P(arm 2 best) ≈ Φ(0.02 / sqrt(.09/1000 + .1056/1000)) = Φ(1.43) ≈ 0.92.
        var weights = ThompsonSampling.Weights([(100, 900), (120, 880)], 0.1, new Random(3));

        Assert.Equal(100, weights.Sum(), 9);
        Assert.InRange(weights[1], 10 + (80 * 0.89), 10 + (80 * 0.95));
    }

    [Fact]
    public void Weights_KeepTheMinimumShare_EvenForAClearLoser()
    {
        var weights = ThompsonSampling.Weights([(10, 990), (300, 700), (100, 900)], 0.1, new Random(5));

        Assert.Equal([10.0, 80.0, 10.0], weights);
    }

    [Fact]
    public void Weights_WithNoData_SplitEvenly()
    {
        var weights = ThompsonSampling.Weights([(0, 0), (0, 0)], 0.1, new Random(9));

        Assert.InRange(weights[0], 48, 52);
    }

    [Fact]
    public async Task Bandit_ShiftsTrafficTowardTheBetterArm_KeepsTheMinimum_AndSurvivesARestart()
    {
        await using var h = await ControllerHarness.StartAsync(random: new Random(17));
        h.WriteVersion(2);
        await h.DeployAsync(Bandit);
        var outcome = new Random(23);
        var served = await AbExperimentTests.SendAsync(h, 600);
        var items = served.Select((r, i) => new FeedbackItem(null, "user-" + i, "conversion", outcome.NextDouble() < (r.Variant == "fraud:2" ? 0.25 : 0.05) ? 1 : 0)).ToList();
        await h.Controller.Experiments.RecordAsync("fraud", items, CancellationToken.None);

        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([(1L, 50.0), (2L, 50.0)], h.Table);
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([(1L, 10.0), (2L, 90.0)], h.Table);
        Assert.Equal("reweigh", (await h.HistoryKindsAsync())[^1]);

        // The counts live in the state store: after a restart the next update sees them all.
        await h.RestartControllerAsync();
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(60));
        Assert.Equal([(1L, 10.0), (2L, 90.0)], h.Table);
        var (_, report) = (await h.Controller.ExperimentAsync("fraud", CancellationToken.None))!.Value;
        Assert.Equal(600, report.Arms.Sum(a => a.Assigned));
        Assert.Null(report.Srm);
    }
}
