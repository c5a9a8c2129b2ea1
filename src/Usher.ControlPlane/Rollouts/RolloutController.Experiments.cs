using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

// The experiment strategies' transitions (ab, bandit), beside the rollout ones: the judging itself
// lives in Experiments/ExperimentJudge; here it is applied with the controller's gate, store and audit.
public sealed partial class RolloutController
{
    /// <summary>The results of the endpoint's experiment (running, else its last one), or null when it never ran one.</summary>
    public async Task<(Rollout Rollout, ExperimentReport Report)?> ExperimentAsync(string endpoint, CancellationToken cancellationToken)
    {
        var rollout = await StatusAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (rollout is null || !ExperimentJudge.IsExperiment(rollout.Spec))
        {
            return null;
        }

        await Experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
        var table = rollout.IsActive ? _routes.Find(endpoint) : ExperimentJudge.StartTable(rollout.Spec);
        return (rollout, await ExperimentJudge.AnalyzeAsync(Experiments.Store, rollout, table, cancellationToken).ConfigureAwait(false));
    }

    private async Task EvaluateExperimentAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var endpoint = rollout.Endpoint;
        var table = _routes.Find(endpoint);
        var report = await ExperimentJudge.AnalyzeAsync(Experiments.Store, rollout, table, cancellationToken).ConfigureAwait(false);
        var json = ExperimentReportJson.ToJson(endpoint, rollout.Id, DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy), RolloutText.Phase(rollout.Phase), report);
        var current = rollout with { LastAnalysisJson = json };
        _active = _active.SetItem(endpoint, current);
        if (report.Srm is { Flagged: true })
        {
            Recorder.StopWindow(endpoint);
            var halted = current with { Phase = RolloutPhase.Paused, Reason = "halted by the SRM check: " + report.Summary, UpdatedAt = now };
            await SaveAsync(halted, "srm", "controller", $"{halted.Reason}; fix the assignment, then resume, promote or roll back", json, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (table is null)
        {
            return;
        }

        // Guardrails: each arm against the control over the same window, as a canary step is judged.
        if (Recorder.WindowStart(endpoint) is not { } windowStart)
        {
            StartWindow(current, now);
        }
        else if (now >= windowStart + rollout.Spec.Canary.Interval)
        {
            foreach (var (version, why) in ExperimentJudge.Breaches(Recorder, current, table))
            {
                var weight = table.Find(version)?.Weight ?? 0;
                table = ExperimentJudge.StopArm(table, version, rollout.StableVersion);
                await _keeper.PublishAsync(table, now, cancellationToken).ConfigureAwait(false);
                await Audit(current, "guardrail", "controller", $"guardrail breached: version {version} stopped, its {weight:0.##}% goes to the control (version {rollout.StableVersion}): {why}", json, cancellationToken).ConfigureAwait(false);
            }

            StartWindow(current, now);
        }

        if (rollout.Spec.Strategy == RolloutStrategy.Bandit && now >= current.StepStartedAt + rollout.Spec.Ab.UpdateInterval)
        {
            var next = ExperimentJudge.Reweigh(table, report, rollout.Spec.Ab, _random);
            await _keeper.PublishAsync(next, now, cancellationToken).ConfigureAwait(false);
            var moved = current with { StepStartedAt = now, UpdatedAt = now };
            await SaveAsync(moved, "reweigh", "controller", $"bandit weights: {string.Join(", ", next.Variants.Select(v => $"version {v.Version} {v.Weight:0.##}%"))}", json, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ControlResult<Rollout>> EndExperimentAsync(Rollout rollout, long? version, string? reason, CancellationToken cancellationToken)
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
            await Experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
            var report = await ExperimentJudge.AnalyzeAsync(Experiments.Store, rollout, _routes.Find(rollout.Endpoint), cancellationToken).ConfigureAwait(false);
            if (report.Winner is not { } winner)
            {
                return ControlError.Conflict($"the experiment on '{rollout.Endpoint}' has no winner yet ({report.Summary}); name the version to keep: `usher rollout promote {rollout.Endpoint} --version V`");
            }

            (chosen, why) = (winner, report.Summary);
        }

        // The arms that lost are unloaded and not started again by a config.yaml rollout section.
        foreach (var arm in rollout.Spec.Ab.Variants.Where(a => a.Version != chosen && a.Version != rollout.StableVersion))
        {
            await _keeper.RejectAsync(rollout.Spec.Model, arm.Version, $"not chosen when the experiment ended (rollout {rollout.Id})", _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        if (chosen == rollout.StableVersion)
        {
            await _keeper.PublishAsync(RouteTable.Single(rollout.Endpoint, rollout.Spec.Model, chosen), _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return await EndAsync(rollout, RolloutPhase.Succeeded, "promote", "operator", $"experiment ended on the control, version {chosen}, which serves all traffic: {why}", null, cancellationToken).ConfigureAwait(false);
        }

        return await SucceedAsync(rollout with { Spec = rollout.Spec with { Version = chosen } }, "promote", "operator", $"experiment ended: version {chosen} serves all traffic: {why}", cancellationToken).ConfigureAwait(false);
    }
}
