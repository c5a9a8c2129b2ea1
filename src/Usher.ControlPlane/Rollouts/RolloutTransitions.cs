using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Shadow;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// The transitions every strategy ends with (promotion, rollback, abort) and the analysis windows
/// they restart: each publishes its route table through the <see cref="RouteKeeper"/> (stored first)
/// and records the new state in the <see cref="RolloutJournal"/>.
/// </summary>
internal sealed class RolloutTransitions(
    RolloutJournal journal, RouteKeeper keeper, TrafficRecorder recorder, ShadowSupervisor shadows, ExperimentTracker experiments, TimeProvider time)
{
    /// <summary>The journal transitions are recorded in.</summary>
    public RolloutJournal Journal => journal;

    /// <summary>Publishes <paramref name="table"/> now (stored first).</summary>
    public Task PublishAsync(RouteTable table, CancellationToken cancellationToken) => keeper.PublishAsync(table, time.GetUtcNow(), cancellationToken);

    /// <summary>Marks a version rejected (never loaded again) with why, or clears the mark when <paramref name="reason"/> is null.</summary>
    public Task RejectAsync(string model, long version, string? reason, CancellationToken cancellationToken)
        => keeper.RejectAsync(model, version, reason, time.GetUtcNow(), cancellationToken);

    /// <summary>All traffic to the candidate; the old version is unloaded and not loaded again.</summary>
    public async Task<ControlResult<Rollout>> SucceedAsync(Rollout rollout, string kind, string actor, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await keeper.PublishAsync(RouteTable.Single(rollout.Endpoint, rollout.Spec.Model, rollout.CandidateVersion), now, cancellationToken).ConfigureAwait(false);
        await keeper.RejectAsync(rollout.Spec.Model, rollout.StableVersion, $"replaced by version {rollout.CandidateVersion} (rollout {rollout.Id})", now, cancellationToken).ConfigureAwait(false);
        return await EndAsync(rollout, RolloutPhase.Succeeded, kind, actor, message, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>All traffic back to stable; the candidate is unloaded and rejected.</summary>
    public async Task<ControlResult<Rollout>> RollBackAsync(Rollout rollout, string actor, string reason, string? dataJson, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await keeper.PublishAsync(RouteTable.Single(rollout.Endpoint, rollout.Spec.Model, rollout.StableVersion), now, cancellationToken).ConfigureAwait(false);
        await keeper.RejectAsync(rollout.Spec.Model, rollout.CandidateVersion, $"rolled back (rollout {rollout.Id}): {reason}", now, cancellationToken).ConfigureAwait(false);
        return await EndAsync(rollout, RolloutPhase.RolledBack, "rollback", actor, $"rolled back to version {rollout.StableVersion}: {reason}", dataJson, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends a rollout: stores the final state, forgets it, and unloads what no table needs any more.</summary>
    public async Task<ControlResult<Rollout>> EndAsync(Rollout rollout, RolloutPhase phase, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
    {
        if (phase == RolloutPhase.Aborted)
        {
            await keeper.RejectAsync(rollout.Spec.Model, rollout.CandidateVersion, $"aborted (rollout {rollout.Id}): {message}", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        shadows.Stop(rollout.Endpoint);
        var ended = rollout with { Phase = phase, Reason = phase == RolloutPhase.Succeeded ? null : message, UpdatedAt = time.GetUtcNow() };
        recorder.StopWindow(rollout.Endpoint);
        if (experiments.Running(rollout.Endpoint) is not null)
        {
            await experiments.FlushAsync(cancellationToken).ConfigureAwait(false);
            experiments.Stop(rollout.Endpoint);
        }

        var saved = await journal.SaveAsync(ended, kind, actor, message, dataJson, cancellationToken).ConfigureAwait(false);
        await keeper.ApplyPinsAsync(rollout.Spec.Model, journal.Active.Values, cancellationToken).ConfigureAwait(false);
        return saved;
    }

    /// <summary>
    /// Starts the analysis window of a step. At 100% the stable version serves nothing, so the
    /// candidate is judged against the last outcomes stable served (kept across windows).
    /// </summary>
    public void StartWindow(Rollout rollout, DateTimeOffset now)
        => recorder.StartWindow(
            rollout.Endpoint,
            now,
            rollout.CandidateWeight >= 100 ? recorder.Recent(rollout.Endpoint, RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion)) : null);

    /// <summary>The canary's route table at its current step.</summary>
    public static RouteTable CanaryTable(Rollout rollout)
    {
        var weight = rollout.CandidateWeight;
        var model = rollout.Spec.Model;
        return weight >= 100
            ? RouteTable.Single(rollout.Endpoint, model, rollout.CandidateVersion)
            : new RouteTable(rollout.Endpoint, [new RouteVariant(model, rollout.CandidateVersion, weight), new RouteVariant(model, rollout.StableVersion, 100 - weight)]);
    }

    /// <summary>"rollout 3 (canary of fraud version 2 over 1)".</summary>
    public static string Describe(Rollout r) => $"rollout {r.Id} ({DeploymentSpecWriter.StrategyName(r.Spec.Strategy)} of {r.Spec.Model} version {r.CandidateVersion} over {r.StableVersion})";
}
