using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>
/// Blue-green: the candidate is validated on replayed traffic before it takes any (no traffic moves
/// if it disagrees), then takes all of it at once; the old version stays loaded through the rollback
/// window, in which the analysis compares the candidate with what the old version served just before
/// the switch and may roll back at any tick.
/// </summary>
internal sealed class BlueGreenStrategy(
    RolloutTransitions transitions, WindowAnalyzer analyzer, TrafficRecorder recorder, InferenceRouter router, RolloutOptions options, TimeProvider time) : IRolloutStrategy
{
    public string Name => "blue-green";

    public RolloutPhase StartPhase => RolloutPhase.Validating;

    public ControlResult<DeploymentSpec> Admit(DeploymentSpec spec, RouteVariant serving) => RolloutAdmission.NotServing(spec, serving);

    public async Task<ControlResult<Rollout>> BeginAsync(Rollout rollout, RouteVariant serving, CancellationToken cancellationToken)
    {
        var spec = rollout.Spec;
        var validation = await BlueGreenValidator.ValidateAsync(router, recorder, spec, rollout.StableVersion, cancellationToken).ConfigureAwait(false);
        if (!validation.Passed)
        {
            return await transitions.EndAsync(rollout, RolloutPhase.Aborted, "abort", "controller", $"validation failed, no traffic moved: {validation.Message}", null, cancellationToken).ConfigureAwait(false);
        }

        await transitions.Journal.AuditAsync(rollout, "analysis", "controller", $"validation passed: {validation.Message}", null, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var baseline = recorder.Recent(spec.Endpoint, serving.Name);
        await transitions.PublishAsync(RouteTable.Single(spec.Endpoint, spec.Model, spec.Version), cancellationToken).ConfigureAwait(false);
        recorder.StartWindow(spec.Endpoint, now, baseline);
        var switched = rollout with { Phase = RolloutPhase.RollbackWindow, RollbackWindowEndsAt = now + spec.BlueGreen.RollbackWindow, UpdatedAt = now };
        return await transitions.Journal.SaveAsync(switched, "step", "controller", $"switched all traffic to version {spec.Version}; version {rollout.StableVersion} stays loaded for rollback until {switched.RollbackWindowEndsAt:yyyy-MM-dd HH:mm:ss}Z", null, cancellationToken).ConfigureAwait(false);
    }

    public async Task TickAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        if (rollout.Phase != RolloutPhase.RollbackWindow)
        {
            return;
        }

        var now = time.GetUtcNow();
        var windowEnd = rollout.RollbackWindowEndsAt ?? now;
        var current = await analyzer.LookAsync(rollout, now, final: now >= windowEnd, cancellationToken).ConfigureAwait(false);
        var analysis = current.LastAnalysis!;
        if (CanaryStrategy.RollsBack(analysis, now >= windowEnd, options))
        {
            await transitions.RollBackAsync(current, "controller", $"analysis failed at {current.CandidateWeight}%: {CanaryStrategy.FailedChecks(analysis.Report)}", AnalysisDto.ToJson(analysis), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (now >= windowEnd)
        {
            await transitions.SucceedAsync(current, "complete", "controller", $"the rollback window ended; version {rollout.CandidateVersion} serves all traffic and version {rollout.StableVersion} is unloaded", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ControlResult<Rollout>> PromoteAsync(Rollout rollout, string? reason, long? version, string actor, CancellationToken cancellationToken)
        => rollout.Phase == RolloutPhase.Validating
            ? ControlError.Conflict($"the rollout of {RolloutTransitions.Describe(rollout)} is still validating; wait for it")
            : await transitions.SucceedAsync(rollout, "promote", actor, reason ?? "promoted by an operator", cancellationToken).ConfigureAwait(false);

    public void Resume(Rollout rollout, DateTimeOffset now)
    {
        if (rollout.Phase == RolloutPhase.RollbackWindow)
        {
            transitions.StartWindow(rollout, now);
        }
    }

    public Rollout Describe(Rollout rollout) => rollout;
}
