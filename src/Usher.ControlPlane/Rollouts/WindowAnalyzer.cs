using Usher.ControlPlane.Analysis;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// One look at a rollout's window: reads both sides from the <see cref="TrafficRecorder"/>, runs
/// <see cref="CanaryAnalysis"/>, and publishes the result as the rollout's last analysis.
/// </summary>
internal sealed class WindowAnalyzer(TrafficRecorder recorder, RolloutTransitions transitions)
{
    /// <summary>Analyzes the window now; <paramref name="final"/> when the step (or rollback window) ends with this look.</summary>
    public Rollout Look(Rollout rollout, DateTimeOffset now, bool final)
    {
        var endpoint = rollout.Endpoint;
        var windowStart = recorder.WindowStart(endpoint) ?? rollout.StepStartedAt;
        if (recorder.WindowStart(endpoint) is null)
        {
            transitions.StartWindow(rollout, now);
        }

        // Blue-green, and a canary's last step at 100%, compare the new version with what the old
        // one served just before it took all traffic; other canary steps compare both over the same window.
        var stable = rollout.CandidateWeight >= 100
            ? recorder.Baseline(endpoint)
            : recorder.Sample(endpoint, RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion));
        var canary = recorder.Sample(endpoint, RouteVariant.Format(rollout.Spec.Model, rollout.CandidateVersion));
        var report = CanaryAnalysis.Compare(stable, canary, rollout.Spec.Analysis, final);
        var current = rollout with { LastAnalysis = new WindowAnalysis(windowStart, VariantCounts.Of(stable), VariantCounts.Of(canary), report) };
        transitions.Journal.Note(current);
        return current;
    }
}
