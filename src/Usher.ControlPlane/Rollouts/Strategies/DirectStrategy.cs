using Usher.ControlPlane.Deployments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>Direct: all traffic to the candidate as soon as it is loaded and warm; no analysis.</summary>
internal sealed class DirectStrategy(RolloutTransitions transitions) : IRolloutStrategy
{
    public string Name => "direct";

    public RolloutPhase StartPhase => RolloutPhase.Validating;

    public ControlResult<DeploymentSpec> Admit(DeploymentSpec spec, RouteVariant serving) => RolloutAdmission.NotServing(spec, serving);

    public Task<ControlResult<Rollout>> BeginAsync(Rollout rollout, RouteVariant serving, CancellationToken cancellationToken)
        => transitions.SucceedAsync(rollout, "complete", "controller", $"switched all traffic to version {rollout.CandidateVersion} (direct)", cancellationToken);

    public Task TickAsync(Rollout rollout, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<ControlResult<Rollout>> PromoteAsync(Rollout rollout, string? reason, long? version, string actor, CancellationToken cancellationToken)
        => rollout.Phase == RolloutPhase.Validating
            ? ControlError.Conflict($"the rollout of {RolloutTransitions.Describe(rollout)} is still validating; wait for it")
            : await transitions.SucceedAsync(rollout, "promote", actor, reason ?? "promoted by an operator", cancellationToken).ConfigureAwait(false);

    public void Resume(Rollout rollout, DateTimeOffset now)
    {
    }

    public Rollout Describe(Rollout rollout) => rollout;
}
