using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Tests.Rollouts;

public sealed class BlueGreenRolloutTests
{
    private const string BlueGreen = """
        {"endpoint": "fraud", "version": 2, "strategy": "blue-green",
         "blue_green": {"rollback_window": "10m", "validation": {"agreement": {"samples": 50, "outputs": ["label"], "min_agreement": 0.9}}}}
        """;

    [Fact]
    public async Task ValidationPasses_SwitchesAllTraffic_KeepsTheOldVersionForTheWindow_ThenUnloadsIt()
    {
        await using var h = await ControllerHarness.StartAsync();
        await h.SendAsync(60);
        h.WriteVersion(2);

        var rollout = await h.DeployAsync(BlueGreen);

        Assert.Equal(RolloutPhase.RollbackWindow, rollout.Phase);
        Assert.Equal(ControllerHarness.Start.AddMinutes(10), rollout.RollbackWindowEndsAt);
        Assert.Equal([(2L, 100.0)], h.Table);
        Assert.Equal([1L, 2L], h.LoadedVersions);
        var validation = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).Single(e => e.Kind == "analysis");
        Assert.Contains("of 50 recorded requests agree", validation.Message, StringComparison.Ordinal);
        Assert.All(await h.SendAsync(20, seed: 9), r => Assert.Equal("fraud:2", r.Variant));

        await h.AdvanceAndTickAsync(TimeSpan.FromMinutes(10));

        Assert.Equal(RolloutPhase.Succeeded, h.Current.Phase);
        Assert.Equal([2L], h.LoadedVersions);
    }

    [Fact]
    public async Task ValidationFails_Aborts_WithTheReason_AndNoRequestEverSawTheNewVersion()
    {
        await using var h = await ControllerHarness.StartAsync();
        await h.SendAsync(30);
        h.WriteVersion(2);

        var result = await h.Controller.DeployAsync(
            ControllerHarness.Spec("""{"endpoint": "fraud", "version": 2, "strategy": "blue-green", "blue_green": {"validation": {"agreement": {"tolerance": 0}}}}"""),
            "operator",
            CancellationToken.None);

        Assert.Equal(RolloutPhase.Aborted, result.Value!.Phase);
        Assert.Contains("validation failed, no traffic moved: 0 of 30 recorded requests agree", result.Value.Reason, StringComparison.Ordinal);
        Assert.Contains("output 'probabilities' differs by up to", result.Value.Reason, StringComparison.Ordinal);
        Assert.Equal([(1L, 100.0)], h.Table);
        Assert.Equal([1L], h.LoadedVersions);
        Assert.Equal(0, h.Controller.Recorder.Recent("fraud", "fraud:2").Requests);
    }

    [Fact]
    public async Task ValidationWithoutRecordedTraffic_Aborts_SayingWhatToDo()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);

        var result = await h.Controller.DeployAsync(ControllerHarness.Spec(BlueGreen), "operator", CancellationToken.None);

        Assert.Equal(RolloutPhase.Aborted, result.Value!.Phase);
        Assert.Contains("no recorded requests to compare on", result.Value.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rollback_DuringTheWindow_IsInstant_TheOldVersionNeverLeft()
    {
        await using var h = await ControllerHarness.StartAsync();
        await h.SendAsync(60);
        h.WriteVersion(2);
        await h.DeployAsync(BlueGreen);
        var oldVersion = h.Models.Find("fraud")!.Find(1)!.Loaded;

        var rolledBack = await h.Controller.RollbackAsync("fraud", "alerts fired", CancellationToken.None);

        Assert.Equal(RolloutPhase.RolledBack, rolledBack.Value!.Phase);
        Assert.Equal([(1L, 100.0)], h.Table);
        Assert.Same(oldVersion, h.Models.Find("fraud")!.Find(1)!.Loaded);
        Assert.All(await h.SendAsync(20, seed: 3), r => Assert.Equal("fraud:1", r.Variant));
        Assert.Equal([1L], h.LoadedVersions);
    }

    [Fact]
    public async Task ErrorsAfterTheSwitch_RollBackWithinTheWindow()
    {
        await using var h = await ControllerHarness.StartAsync();
        await h.SendAsync(60);
        h.WriteVersion(2);
        await h.DeployAsync(BlueGreen);
        h.Observe(2, 100, errors: 30);

        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(RolloutPhase.RolledBack, h.Current.Phase);
        Assert.Contains("error_rate", h.Current.Reason, StringComparison.Ordinal);
        Assert.Equal([(1L, 100.0)], h.Table);
    }

    [Fact]
    public async Task Direct_SwitchesAtOnce_AndEnds()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);

        var rollout = await h.DeployAsync("""{"endpoint": "fraud", "version": 2, "strategy": "direct"}""");

        Assert.Equal(RolloutPhase.Succeeded, rollout.Phase);
        Assert.Equal([(2L, 100.0)], h.Table);
        Assert.Equal([2L], h.LoadedVersions);
    }
}
