using Usher.ControlPlane.Deployments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>
/// One deployment strategy (canary, blue-green, shadow, A/B, bandit, direct): it turns a rollout's
/// current state and its analysis into transitions. The controller picks it by name
/// (<see cref="RolloutStrategies"/>), holds the endpoint's gate while it runs, and never switches on
/// the strategy itself. Transitions go through <see cref="RolloutTransitions"/> and the
/// <see cref="RolloutJournal"/>: stored before they are published.
/// </summary>
internal interface IRolloutStrategy
{
    /// <summary>The strategy's name in specs (<c>canary</c>, <c>blue-green</c>, ...).</summary>
    string Name { get; }

    /// <summary>The phase a new rollout of this strategy starts in.</summary>
    RolloutPhase StartPhase { get; }

    /// <summary>The strategy's own admission rules: the spec to start (possibly adjusted), or why not.</summary>
    ControlResult<DeploymentSpec> Admit(DeploymentSpec spec, RouteVariant serving);

    /// <summary>Moves the first traffic: the rollout is stored and its candidate is loaded and warm.</summary>
    Task<ControlResult<Rollout>> BeginAsync(Rollout rollout, RouteVariant serving, CancellationToken cancellationToken);

    /// <summary>One look on the clock: analysis, then a step, a promotion, a rollback, or nothing.</summary>
    Task TickAsync(Rollout rollout, CancellationToken cancellationToken);

    /// <summary>
    /// An operator's promotion (<paramref name="version"/>: the arm an experiment ends on), journaled as
    /// <paramref name="actor"/> (the admin token's name, or <c>operator</c>).
    /// </summary>
    Task<ControlResult<Rollout>> PromoteAsync(Rollout rollout, string? reason, long? version, string actor, CancellationToken cancellationToken);

    /// <summary>After a restart: restarts what the strategy watches (windows, mirrors), fresh.</summary>
    void Resume(Rollout rollout, DateTimeOffset now);

    /// <summary>The rollout as the status shows it, with what the strategy sees live (a shadow's comparison).</summary>
    Rollout Describe(Rollout rollout);
}
