using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Tests.Rollouts;

public sealed class EndpointGateTests
{
    private const string FraudCanary = """
        {"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [5, 25, 50, 100], "interval": "60s"}}
        """;

    private const string OtherCanary = """
        {"endpoint": "other", "version": 2, "strategy": "canary", "canary": {"steps": [5, 25, 50, 100], "interval": "60s"}}
        """;

    // The timeout only turns a deadlock (one gate for every endpoint) into a failure instead of a hang;
    // nothing here waits on time: the clock is fake and the held load is released by the test.
    [Fact(Timeout = 120_000)]
    public async Task ASlowLoadOnOneEndpoint_HoldsUpNeitherAnotherEndpointsTick_NorItsRollback()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        BlockingBackend? blocking = null;
        await using var h = await ControllerHarness.StartAsync(
            backend: onnx => blocking = new BlockingBackend(onnx, "other", 2, release.Task), secondModel: "other");
        h.WriteVersion(2);
        h.WriteVersion(2, model: "other");
        await h.DeployAsync(FraudCanary);

        Task<ControlResult<Rollout>> slow;
        try
        {
            // An operator deploys 'other' version 2; its load is held, and with it the endpoint's gate.
            slow = h.Controller.DeployAsync(ControllerHarness.Spec(OtherCanary), "operator", CancellationToken.None);
            await blocking!.Started;

            // Meanwhile on 'fraud': a tick sees 30% errors and rolls the canary back...
            h.Observe(1, 500);
            h.Observe(2, 100, errors: 30);
            await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(1));
            Assert.Equal(RolloutPhase.RolledBack, h.Current.Phase);
            Assert.Contains("error_rate", h.Current.Reason, StringComparison.Ordinal);

            // ...and an operator's deploy and rollback go through.
            await h.DeployAsync(FraudCanary);
            var rolledBack = await h.Controller.RollbackAsync("fraud", "rehearsal", CancellationToken.None);
            Assert.True(rolledBack.IsSuccess, rolledBack.Error?.Message);
            Assert.Equal([(1L, 100.0)], h.Table);
            Assert.False(slow.IsCompleted, "the deploy on 'other' is still loading");
        }
        finally
        {
            // Let the held load go even when an assertion failed, so that disposal does not wait on it.
            release.TrySetResult();
        }

        var deployed = await slow;

        Assert.True(deployed.IsSuccess, deployed.Error?.Message);
        Assert.Equal((RolloutPhase.Progressing, 5), (deployed.Value.Phase, deployed.Value.CandidateWeight));
        Assert.Equal([(2L, 5.0), (1L, 95.0)], [.. h.Routes.Find("other")!.Variants.Select(v => (v.Version, v.Weight))]);
    }

    // A rollout that config.yaml asks for loads the candidate (its pins reload the model) and warms it
    // up: that runs off the tick, which only finds the new version. Before, the tick itself waited for
    // the load, and with it every endpoint's next tick. Without the fix this test hangs until its timeout.
    [Fact(Timeout = 120_000)]
    public async Task ARolloutStartedByConfigYaml_LoadsOffTheTick_AndStartsOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        BlockingBackend? blocking = null;
        await using var h = await ControllerHarness.StartAsync(
            "rollout: {strategy: canary, canary: {steps: [50, 100], interval: 30s}}\n",
            backend: onnx => blocking = new BlockingBackend(onnx, "fraud", 3, release.Task));
        h.WriteVersion(2);
        await h.Models.PollOnceAsync(CancellationToken.None);

        Task held;
        try
        {
            // Another load of 'fraud' (version 3) is held, and with it the model's load lock.
            h.WriteVersion(3);
            held = h.Models.LoadModelAsync("fraud", CancellationToken.None);
            await blocking!.Started;

            // The tick finds version 2 and its config's canary; the deploy's load waits, the tick does not.
            await h.Controller.TickAsync(CancellationToken.None);
            await h.Controller.TickAsync(CancellationToken.None);
            Assert.Equal([(1L, 100.0)], h.Table);
        }
        finally
        {
            release.TrySetResult();
        }

        await held;
        await h.Controller.RepositoryDeploymentsAsync();

        Assert.Equal((RolloutPhase.Progressing, 2L, 50), (h.Current.Phase, h.Current.CandidateVersion, h.Current.CandidateWeight));
        var deploys = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).Where(e => e.Kind == "deploy").ToList();
        Assert.Equal("repository", Assert.Single(deploys).Actor);
    }
}
