using Usher.ControlPlane.Experiments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>
/// The bandit: an experiment whose weights move every <c>update_interval</c> by Thompson sampling over
/// the arms' outcomes (<see cref="ExperimentJudge.Reweigh"/>), with the injected randomness.
/// </summary>
internal sealed class BanditStrategy(RolloutTransitions transitions, TrafficRecorder recorder, WindowAnalyzer analyzer, ExperimentTracker experiments, EndpointRoutes routes, TimeProvider time, Random random)
    : ExperimentStrategy(transitions, recorder, analyzer, experiments, routes, time)
{
    public override string Name => "bandit";

    protected override async Task AfterLookAsync(Rollout rollout, RouteTable table, ExperimentReport report, string json, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        if (now < rollout.StepStartedAt + rollout.Spec.Ab.UpdateInterval)
        {
            return;
        }

        // Thompson draws are not thread-safe on a shared Random; bandits on two endpoints may look at once.
        RouteTable next;
        lock (random)
        {
            next = ExperimentJudge.Reweigh(table, report, rollout.Spec.Ab, random);
        }

        await Transitions.PublishAsync(next, cancellationToken).ConfigureAwait(false);
        var moved = rollout with { StepStartedAt = now, UpdatedAt = now };
        await Transitions.Journal.SaveAsync(moved, "reweigh", "controller", $"bandit weights: {string.Join(", ", next.Variants.Select(v => $"version {v.Version} {v.Weight:0.##}%"))}", json, cancellationToken).ConfigureAwait(false);
    }
}
