using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Rollouts;
using Usher.ControlPlane.Tests.Rollouts;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Experiments;

/// <summary>A/B tests through the controller: real routing, feedback joined with assignments, SQLite, fake time.</summary>
public sealed class AbExperimentTests
{
    private const string Ab = """
        {"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "metric": "conversion", "min_samples": 100},
         "analysis": {"min_requests": 50, "min_predictions": 50}}
        """;

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Deploy_PublishesTheArms_AndEachKeyStaysInOneArm()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);

        var rollout = await h.DeployAsync(Ab);

        Assert.Equal((RolloutPhase.Progressing, 2L, 1L), (rollout.Phase, rollout.CandidateVersion, rollout.StableVersion));
        Assert.Equal([(1L, 50.0), (2L, 50.0)], h.Table);
        var first = await SendAsync(h, 200);
        var again = await SendAsync(h, 200);
        Assert.Equal(first.Select(r => r.Variant), again.Select(r => r.Variant));
        Assert.InRange(first.Count(r => r.Variant == "fraud:2"), 70, 130);
    }

    [Fact]
    public async Task Deploy_WithoutTheServingVersionAmongTheArms_IsRefused()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        h.WriteVersion(3);

        var result = await h.Controller.DeployAsync(
            ControllerHarness.Spec("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 2, "weight": 50}, {"version": 3, "weight": 50}]}}"""), "operator", CancellationToken.None);

        Assert.False(result.IsSuccess);
        Assert.Contains("list it among the variants", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feedback_JoinsByIdAndByKey_IsIdempotent_AndAnswersEachItem()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);
        var served = await SendAsync(h, 10);

        var results = await h.Controller.Experiments.RecordAsync(
            "fraud",
            [
                new FeedbackItem("req-0", null, "conversion", 1),
                new FeedbackItem(null, "user-1", "conversion", 0),
                new FeedbackItem("req-0", null, "conversion", 0),
                new FeedbackItem("req-999", null, "conversion", 1),
                new FeedbackItem("req-2", null, "conversion", 2),
                new FeedbackItem("req-3", "user-3", "conversion", 1),
            ],
            CancellationToken.None);

        Assert.NotNull(results);
        Assert.Equal(
            [FeedbackStatus.Recorded, FeedbackStatus.Recorded, FeedbackStatus.Duplicate, FeedbackStatus.Unknown, FeedbackStatus.Invalid, FeedbackStatus.Invalid],
            results.Select(r => r.Status));
        Assert.Equal(Version(served[0]), results[0].Version);
        Assert.Equal(Version(served[1]), results[1].Version);
        Assert.Contains("req-999", results[3].Message, StringComparison.Ordinal);
        Assert.Contains("expected 0 or 1", results[4].Message, StringComparison.Ordinal);
        var totals = await h.Controller.Experiments.Store.TotalsAsync(h.Current.Id, "conversion", CancellationToken.None);
        Assert.Equal(2, totals.Sum(t => t.Outcomes));
        Assert.Equal(1, totals.Sum(t => t.Sum));
        Assert.Equal(10, totals.Sum(t => t.Assigned));
    }

    [Fact]
    public async Task Feedback_AfterARestart_StillJoins()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);
        var served = await SendAsync(h, 20);

        await h.RestartControllerAsync();
        var results = await h.Controller.Experiments.RecordAsync("fraud", [new FeedbackItem(null, "user-7", "conversion", 1), new FeedbackItem("req-8", null, "conversion", 1)], CancellationToken.None);

        Assert.Equal([FeedbackStatus.Recorded, FeedbackStatus.Recorded], results!.Select(r => r.Status));
        Assert.Equal([Version(served[7]), Version(served[8])], results!.Select(r => r.Version!.Value));
    }

    [Fact]
    public async Task Feedback_WithoutARunningExperiment_IsNull()
    {
        await using var h = await ControllerHarness.StartAsync();

        Assert.Null(await h.Controller.Experiments.RecordAsync("fraud", [new FeedbackItem("x", null, "conversion", 1)], CancellationToken.None));
    }

    [Fact]
    public async Task SeededConversions_DeclareTheBetterArm_AndPromoteMovesAllTrafficToIt()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);
        var random = new Random(11);
        var served = await SendAsync(h, 1200);
        var items = served.Select((r, i) => new FeedbackItem(null, "user-" + i, "conversion", random.NextDouble() < (r.Variant == "fraud:2" ? 0.30 : 0.10) ? 1 : 0)).ToList();
        await h.Controller.Experiments.RecordAsync("fraud", items, CancellationToken.None);

        await h.AdvanceAndTickAsync(Tick);
        var (_, report) = (await h.Controller.ExperimentAsync("fraud", CancellationToken.None))!.Value;

        Assert.Equal(("winner", 2L), (report.Decision, report.Winner!.Value));
        Assert.Equal("winner", h.Current.LastExperiment?.Decision);
        var promoted = await h.Controller.PromoteAsync("fraud", null, null, CancellationToken.None);
        Assert.True(promoted.IsSuccess, promoted.Error?.Message);
        Assert.Equal(RolloutPhase.Succeeded, h.Current.Phase);
        Assert.Equal([(2L, 100.0)], h.Table);
        Assert.Equal([2L], h.LoadedVersions);
    }

    [Fact]
    public async Task Promote_WithoutAWinner_AsksForAVersion_ThenEndsOnTheNamedOne()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);
        await SendAsync(h, 50);

        var refused = await h.Controller.PromoteAsync("fraud", null, null, CancellationToken.None);
        Assert.False(refused.IsSuccess);
        Assert.Contains("--version", refused.Error!.Message, StringComparison.Ordinal);

        var kept = await h.Controller.PromoteAsync("fraud", "keep the control", 1, CancellationToken.None);
        Assert.True(kept.IsSuccess, kept.Error?.Message);
        Assert.Equal([(1L, 100.0)], h.Table);
        Assert.Equal([1L], h.LoadedVersions);
        Assert.Null(await h.Controller.Experiments.RecordAsync("fraud", [new FeedbackItem("req-1", null, "conversion", 1)], CancellationToken.None));
    }

    [Fact]
    public async Task Rollback_EndsOnTheOriginalVersion()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);

        await h.Controller.RollbackAsync("fraud", "enough", CancellationToken.None);

        Assert.Equal(RolloutPhase.RolledBack, h.Current.Phase);
        Assert.Equal([(1L, 100.0)], h.Table);
    }

    [Fact]
    public async Task ControlWithTheHighestVersion_IsNotTheCandidate_SoARollbackKeepsIt()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync("""{"endpoint": "fraud", "version": 2, "strategy": "direct"}""");

        var rollout = await h.DeployAsync("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 2, "weight": 50}, {"version": 1, "weight": 50}]}}""");
        Assert.Equal((2L, 1L), (rollout.StableVersion, rollout.CandidateVersion));
        await h.Controller.RollbackAsync("fraud", "enough", CancellationToken.None);

        Assert.Equal([(2L, 100.0)], h.Table);
        Assert.Equal([2L], h.LoadedVersions);
    }

    [Fact]
    public async Task InjectedAssignmentImbalance_TripsTheSrmCheck_AndHaltsTheTest()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);
        await SendAsync(h, 400);

        // A broken client pins 200 more users to version 2: the arms no longer split 50/50.
        await SendAsync(h, 200, from: 10_000, pin: "fraud:2");
        await h.AdvanceAndTickAsync(Tick);

        Assert.Equal(RolloutPhase.Paused, h.Current.Phase);
        Assert.Contains("SRM", h.Current.Reason, StringComparison.Ordinal);
        Assert.Contains("sample ratio mismatch", h.Current.Reason, StringComparison.Ordinal);
        Assert.Equal("srm", (await h.HistoryKindsAsync())[^1]);
        Assert.Equal([(1L, 50.0), (2L, 50.0)], h.Table);
    }

    [Fact]
    public async Task GuardrailBreach_StopsTheArm_ItsWeightGoesToTheControl()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(Ab);
        h.Observe(1, 500);
        h.Observe(2, 500, errors: 100);

        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(RolloutPhase.Progressing, h.Current.Phase);
        Assert.Equal([(1L, 100.0), (2L, 0.0)], h.Table);
        var guardrail = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).Single(e => e.Kind == "guardrail");
        Assert.Contains("version 2 stopped", guardrail.Message, StringComparison.Ordinal);
        Assert.Contains("error_rate", guardrail.Message, StringComparison.Ordinal);
    }

    internal static async Task<List<RoutedInference>> SendAsync(ControllerHarness h, int count, int from = 0, string? pin = null)
    {
        var results = new List<RoutedInference>();
        var row = new float[30];
        for (var i = from; i < from + count; i++)
        {
            var request = new InferenceRequest { ModelName = "fraud", Id = "req-" + i, Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], row)] };
            results.Add(await h.Router.InferAsync(request, new RouteHints("user-" + i, pin), CancellationToken.None));
        }

        return results;
    }

    private static long Version(RoutedInference r) => long.Parse(r.Variant!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
}
