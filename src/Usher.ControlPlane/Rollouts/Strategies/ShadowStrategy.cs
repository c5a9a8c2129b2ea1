using System.Text.Json;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Shadow;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>
/// Shadow: the candidate gets copies of a share of the requests, its answers are compared with the
/// serving version's and never returned. When the spec's gate passes (or an operator promotes), the
/// shadow becomes a canary: mirroring stops and the spec's canary schedule starts from its first step.
/// </summary>
internal sealed class ShadowStrategy(RolloutTransitions transitions, ShadowSupervisor shadows, TimeProvider time) : IRolloutStrategy
{
    public string Name => "shadow";

    public RolloutPhase StartPhase => RolloutPhase.Shadowing;

    public ControlResult<DeploymentSpec> Admit(DeploymentSpec spec, RouteVariant serving) => RolloutAdmission.NotServing(spec, serving);

    public Task<ControlResult<Rollout>> BeginAsync(Rollout rollout, RouteVariant serving, CancellationToken cancellationToken)
    {
        var spec = rollout.Spec;
        shadows.Start(rollout, time.GetUtcNow());
        var gate = spec.Shadow.Gate is { } g ? $"; it becomes a canary when {g.MinSamples} pairs agree at least {g.MinAgreement * 100:0.##}% with p99 latency within {g.MaxLatencyP99Ratio:0.##}×" : "; promote it to a canary or roll it back";
        return transitions.Journal.SaveAsync(rollout, "step", "controller", $"mirroring {spec.Shadow.Percent:0.##}% of requests to version {spec.Version} (queue {spec.Shadow.Queue}); its answers are compared, never returned{gate}", null, cancellationToken);
    }

    public async Task TickAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        if (rollout.Phase == RolloutPhase.Shadowing && shadows.Gate(rollout) is { Passed: true } gate)
        {
            await StartCanaryAsync(rollout, "controller", $"the shadow gate passed: {gate.Detail}", cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<ControlResult<Rollout>> PromoteAsync(Rollout rollout, string? reason, long? version, string actor, CancellationToken cancellationToken)
        => rollout.Phase == RolloutPhase.Shadowing
            ? StartCanaryAsync(rollout, actor, reason ?? "promoted by an operator", cancellationToken)
            : transitions.SucceedAsync(rollout, "promote", actor, reason ?? "promoted by an operator", cancellationToken);

    public void Resume(Rollout rollout, DateTimeOffset now)
    {
        if (rollout.Phase == RolloutPhase.Shadowing)
        {
            shadows.Start(rollout, now);
        }
    }

    public Rollout Describe(Rollout rollout)
        => rollout.Phase == RolloutPhase.Shadowing ? rollout with { Shadow = shadows.Status(rollout) } : rollout;

    // Mirroring stops (its last report goes into the audit trail) and the spec's canary schedule
    // starts from its first step, judged by the spec's analysis.
    private async Task<ControlResult<Rollout>> StartCanaryAsync(Rollout rollout, string actor, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // The audit trail keeps the last comparison in the admin API's shape.
        var report = shadows.Status(rollout) is { } status ? JsonSerializer.Serialize(ShadowReportDto.From(status), AdminJsonContext.Default.ShadowReportDto) : null;
        shadows.Stop(rollout.Endpoint);
        var canary = rollout with { Spec = rollout.Spec with { Strategy = RolloutStrategy.Canary }, Phase = RolloutPhase.Progressing, Step = 0, StepStartedAt = now, UpdatedAt = now, Reason = null };
        await transitions.PublishAsync(RolloutTransitions.CanaryTable(canary), cancellationToken).ConfigureAwait(false);
        transitions.StartWindow(canary, now);
        await transitions.Journal.AuditAsync(canary, "promote", actor, $"shadow promoted to canary: {reason}", report, cancellationToken).ConfigureAwait(false);
        return await transitions.Journal.SaveAsync(canary, "step", "controller", CanaryStrategy.StepMessage(canary), null, cancellationToken).ConfigureAwait(false);
    }
}
