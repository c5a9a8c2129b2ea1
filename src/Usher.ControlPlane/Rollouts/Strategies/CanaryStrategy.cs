using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>
/// Canary: the candidate takes each step's weight for the step's interval. Every check of the
/// analysis is sequential, so any may roll back at any tick once the canary has
/// <see cref="RolloutOptions.EarlyFailMinRequests"/> requests; at the end of the step a pass takes the
/// next step (the last one promotes), a lack of samples waits, then pauses as inconclusive.
/// </summary>
internal sealed class CanaryStrategy(RolloutTransitions transitions, WindowAnalyzer analyzer, RolloutOptions options, TimeProvider time) : IRolloutStrategy
{
    public string Name => "canary";

    public RolloutPhase StartPhase => RolloutPhase.Progressing;

    public ControlResult<DeploymentSpec> Admit(DeploymentSpec spec, RouteVariant serving) => RolloutAdmission.NotServing(spec, serving);

    public async Task<ControlResult<Rollout>> BeginAsync(Rollout rollout, RouteVariant serving, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await transitions.PublishAsync(RolloutTransitions.CanaryTable(rollout), cancellationToken).ConfigureAwait(false);
        transitions.StartWindow(rollout, now);
        return await transitions.Journal.SaveAsync(rollout, "step", "controller", StepMessage(rollout), null, cancellationToken).ConfigureAwait(false);
    }

    public async Task TickAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        if (rollout.Phase != RolloutPhase.Progressing)
        {
            return;
        }

        var now = time.GetUtcNow();
        var stepEnd = rollout.StepStartedAt + rollout.Spec.Canary.Interval;
        var current = await analyzer.LookAsync(rollout, now, final: now >= stepEnd, cancellationToken).ConfigureAwait(false);
        var analysis = current.LastAnalysis!;
        var report = analysis.Report;
        var json = AnalysisDto.ToJson(analysis);
        if (RollsBack(analysis, now >= stepEnd, options))
        {
            await transitions.RollBackAsync(current, "controller", $"analysis failed at {current.CandidateWeight}%: {FailedChecks(report)}", json, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (now < stepEnd)
        {
            return;
        }

        var steps = rollout.Spec.Canary.Steps;
        if (report.Verdict == AnalysisVerdict.Wait)
        {
            if (now >= stepEnd + rollout.Spec.InconclusiveAfter)
            {
                var stuck = current with { Phase = RolloutPhase.Inconclusive, Reason = $"not enough data at {current.CandidateWeight}%: {report.Summary}", UpdatedAt = now };
                await transitions.Journal.SaveAsync(stuck, "inconclusive", "controller", $"{stuck.Reason}; waiting for an operator (resume, promote or rollback)", json, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await transitions.Journal.AuditAsync(current, "analysis", "controller", $"step {rollout.Step + 1} of {steps.Count} passed at {current.CandidateWeight}%: {report.Summary}", json, cancellationToken).ConfigureAwait(false);

        // The 100% step is the promotion: with no stable traffic left there is nothing to compare.
        if (rollout.Step + 1 >= steps.Count || steps[rollout.Step + 1] >= 100)
        {
            await transitions.SucceedAsync(current, "complete", "controller", $"every step passed; version {rollout.CandidateVersion} serves all traffic", cancellationToken).ConfigureAwait(false);
            return;
        }

        var next = current with { Step = rollout.Step + 1, StepStartedAt = now, UpdatedAt = now };
        await transitions.PublishAsync(RolloutTransitions.CanaryTable(next), cancellationToken).ConfigureAwait(false);
        transitions.StartWindow(next, now);
        await transitions.Journal.SaveAsync(next, "step", "controller", StepMessage(next), null, cancellationToken).ConfigureAwait(false);
    }

    public Task<ControlResult<Rollout>> PromoteAsync(Rollout rollout, string? reason, long? version, string actor, CancellationToken cancellationToken)
        => transitions.SucceedAsync(rollout, "promote", actor, reason ?? "promoted by an operator", cancellationToken);

    public void Resume(Rollout rollout, DateTimeOffset now)
    {
        if (rollout.Phase == RolloutPhase.Progressing)
        {
            transitions.StartWindow(rollout, now);
        }
    }

    public Rollout Describe(Rollout rollout) => rollout;

    /// <summary>
    /// Whether a look rolls back: a check failed, at the step's end or, before it, once the canary has
    /// <see cref="RolloutOptions.EarlyFailMinRequests"/> requests. Every test behind a failure is always
    /// valid, so looking on every tick holds each check's false-alarm rate.
    /// </summary>
    public static bool RollsBack(WindowAnalysis analysis, bool final, RolloutOptions options)
        => analysis.Report.Verdict == AnalysisVerdict.Fail && (final || analysis.Canary.Requests >= options.EarlyFailMinRequests);

    /// <summary>"step 2 of 4: canary weight 25% for 60s".</summary>
    public static string StepMessage(Rollout rollout)
        => $"step {rollout.Step + 1} of {rollout.Spec.Canary.Steps.Count}: canary weight {rollout.CandidateWeight}% for {Durations.Format(rollout.Spec.Canary.Interval)}";

    /// <summary>"error_rate: ...; latency: ..." for the checks that failed.</summary>
    public static string FailedChecks(AnalysisReport report)
        => string.Join("; ", report.Checks.Where(c => c.Outcome == CheckOutcome.Fail).Select(c => $"{c.Name}: {c.Detail}"));
}
