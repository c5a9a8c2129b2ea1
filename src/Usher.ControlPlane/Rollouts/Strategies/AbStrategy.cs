using Usher.ControlPlane.Experiments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>The A/B test: fixed weights until an operator ends it (<see cref="ExperimentStrategy"/>).</summary>
internal sealed class AbStrategy(RolloutTransitions transitions, TrafficRecorder recorder, WindowAnalyzer analyzer, ExperimentTracker experiments, EndpointRoutes routes, TimeProvider time)
    : ExperimentStrategy(transitions, recorder, analyzer, experiments, routes, time)
{
    public override string Name => "ab";

    protected override Task AfterLookAsync(Rollout rollout, RouteTable table, ExperimentReport report, string json, CancellationToken cancellationToken) => Task.CompletedTask;
}
