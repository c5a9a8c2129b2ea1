using System.Text.Json;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>
/// The experiments (A/B test and bandit): every arm takes its share of sticky traffic; the report
/// (always-valid statistics over the recorded outcomes, <see cref="ExperimentJudge"/>) is read on every
/// tick; a sample-ratio mismatch halts the experiment, a guardrail breach stops an arm, and an operator
/// ends it on the winner or a named arm. The bandit also moves the weights (<see cref="BanditStrategy"/>).
/// </summary>
internal abstract class ExperimentStrategy(RolloutTransitions transitions, TrafficRecorder recorder, WindowAnalyzer analyzer, ExperimentTracker experiments, EndpointRoutes routes, TimeProvider time) : IRolloutStrategy
{
    public abstract string Name { get; }

    public RolloutPhase StartPhase => RolloutPhase.Progressing;

    protected RolloutTransitions Transitions => transitions;

    protected TimeProvider Time => time;

    public ControlResult<DeploymentSpec> Admit(DeploymentSpec spec, RouteVariant serving)
    {
        var arms = spec.Ab.Variants;
        if (!arms.Any(a => a.Version == spec.Version))
        {
            return ControlError.Invalid($"version {spec.Version} is not one of the experiment's arms ({string.Join(", ", arms.Select(a => a.Version))})");
        }

        if (!arms.Any(a => a.Version == serving.Version))
        {
            return ControlError.Invalid($"version {serving.Version} serves endpoint '{spec.Endpoint}' now; an experiment keeps it as the control arm, so list it among the variants (e.g. --variants {serving.Version}:50,{spec.Version}:50)");
        }

        // The candidate of an experiment is an arm other than the control: a rollback rejects it.
        return ControlResult<DeploymentSpec>.Success(spec.Version == serving.Version ? spec with { Version = arms.First(a => a.Version != serving.Version).Version } : spec);
    }

    public async Task<ControlResult<Rollout>> BeginAsync(Rollout rollout, RouteVariant serving, CancellationToken cancellationToken)
    {
        var spec = rollout.Spec;
        var arms = ExperimentJudge.StartTable(spec);
        await transitions.PublishAsync(arms, cancellationToken).ConfigureAwait(false);
        experiments.Start(spec.Endpoint, rollout.Id, spec.Ab);
        transitions.StartWindow(rollout, rollout.StepStartedAt);
        return await transitions.Journal.SaveAsync(rollout, "step", "controller", $"experiment started: {string.Join(", ", arms.Variants.Select(v => $"version {v.Version} {v.Weight:0.##}%"))}, judged on '{spec.Ab.Metric}' ({(spec.Ab.Kind == OutcomeKind.Binary ? "binary" : "continuous")})", null, cancellationToken).ConfigureAwait(false);
    }

    public async Task TickAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        if (rollout.Phase != RolloutPhase.Progressing)
        {
            return;
        }

        var now = time.GetUtcNow();
        var endpoint = rollout.Endpoint;
        var table = routes.Find(endpoint);
        var report = await ExperimentJudge.AnalyzeAsync(experiments.Store, rollout, table, cancellationToken).ConfigureAwait(false);
        var json = ReportJson(rollout, report);
        var current = rollout with { LastExperiment = report };
        transitions.Journal.Note(current);
        if (report.Srm is { Flagged: true })
        {
            recorder.StopWindow(endpoint);
            var halted = current with { Phase = RolloutPhase.Paused, Reason = "halted by the SRM check: " + report.Summary, UpdatedAt = now };
            await transitions.Journal.SaveAsync(halted, "srm", "controller", $"{halted.Reason}; fix the assignment, then resume, promote or roll back", json, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (table is null)
        {
            return;
        }

        // Guardrails: each arm against the control over the same window, as a canary step is judged:
        // windows of `interval` one after another from the step's start (WindowStartAt), so that every
        // replica files its traffic under the leader's window; where replicas share their analysis, the
        // window just ended is judged on every replica's traffic merged.
        var window = WindowAnalyzer.WindowStartAt(current, now);
        if (recorder.WindowStart(endpoint) is not { } windowStart)
        {
            transitions.StartWindow(current, window);
        }
        else if (windowStart != window)
        {
            var sample = await analyzer.SamplesAsync(current, cancellationToken).ConfigureAwait(false);
            foreach (var (version, why) in ExperimentJudge.Breaches(sample, current, table))
            {
                var weight = table.Find(version)?.Weight ?? 0;
                table = ExperimentJudge.StopArm(table, version, rollout.StableVersion);
                await transitions.PublishAsync(table, cancellationToken).ConfigureAwait(false);
                await transitions.Journal.AuditAsync(current, "guardrail", "controller", $"guardrail breached: version {version} stopped, its {weight:0.##}% goes to the control (version {rollout.StableVersion}): {why}", json, cancellationToken).ConfigureAwait(false);
            }

            transitions.StartWindow(current, window);
        }

        await AfterLookAsync(current, table, report, json, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ControlResult<Rollout>> PromoteAsync(Rollout rollout, string? reason, long? version, string actor, CancellationToken cancellationToken)
    {
        long chosen;
        string why;
        if (version is { } v)
        {
            if (!rollout.Spec.Ab.Variants.Any(a => a.Version == v))
            {
                return ControlError.Invalid($"version {v} is not an arm of the experiment on '{rollout.Endpoint}' (arms: {string.Join(", ", rollout.Spec.Ab.Variants.Select(a => a.Version))})");
            }

            (chosen, why) = (v, reason ?? "chosen by an operator");
        }
        else
        {
            await experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
            var report = await ExperimentJudge.AnalyzeAsync(experiments.Store, rollout, routes.Find(rollout.Endpoint), cancellationToken).ConfigureAwait(false);
            if (report.Winner is not { } winner)
            {
                return ControlError.Conflict($"the experiment on '{rollout.Endpoint}' has no winner yet ({report.Summary}); name the version to keep: `usher rollout promote {rollout.Endpoint} --version V`");
            }

            (chosen, why) = (winner, report.Summary);
        }

        // The arms that lost are unloaded and not started again by a config.yaml rollout section.
        foreach (var arm in rollout.Spec.Ab.Variants.Where(a => a.Version != chosen && a.Version != rollout.StableVersion))
        {
            await transitions.RejectAsync(rollout.Spec.Model, arm.Version, $"not chosen when the experiment ended (rollout {rollout.Id})", cancellationToken).ConfigureAwait(false);
        }

        if (chosen == rollout.StableVersion)
        {
            await transitions.PublishAsync(RouteTable.Single(rollout.Endpoint, rollout.Spec.Model, chosen), cancellationToken).ConfigureAwait(false);
            return await transitions.EndAsync(rollout, RolloutPhase.Succeeded, "promote", actor, $"experiment ended on the control, version {chosen}, which serves all traffic: {why}", null, cancellationToken).ConfigureAwait(false);
        }

        return await transitions.SucceedAsync(rollout with { Spec = rollout.Spec with { Version = chosen } }, "promote", actor, $"experiment ended: version {chosen} serves all traffic: {why}", cancellationToken).ConfigureAwait(false);
    }

    public void Resume(Rollout rollout, DateTimeOffset now)
    {
        if (rollout.Phase == RolloutPhase.Progressing)
        {
            transitions.StartWindow(rollout, now);
        }
    }

    public Rollout Describe(Rollout rollout) => rollout;

    /// <summary>What the strategy does after each look that did not halt the experiment.</summary>
    protected abstract Task AfterLookAsync(Rollout rollout, RouteTable table, ExperimentReport report, string json, CancellationToken cancellationToken);

    /// <summary>The report as the audit trail keeps it.</summary>
    protected static string ReportJson(Rollout rollout, ExperimentReport report)
        => JsonSerializer.Serialize(ExperimentReportDto.From(rollout.Endpoint, rollout.Id, DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy), RolloutText.Phase(rollout.Phase), report), AdminJsonContext.Default.ExperimentReportDto);
}
