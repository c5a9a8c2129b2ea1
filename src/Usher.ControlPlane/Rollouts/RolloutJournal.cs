using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Usher.ControlPlane.Persistence;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// The rollouts' journal: every transition is stored (the rollout's new state, then its audit event)
/// before it is published as the active state that the admin API and the next tick read. It holds
/// the active rollouts by endpoint; each endpoint's writer holds that endpoint's gate.
/// </summary>
internal sealed partial class RolloutJournal(IRolloutStore store, TimeProvider time, ILogger<RolloutJournal> logger)
{
    private ImmutableDictionary<string, Rollout> _active = ImmutableDictionary.Create<string, Rollout>(StringComparer.Ordinal);

    /// <summary>The clock transitions are stamped with.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The active rollouts, by endpoint.</summary>
    public IReadOnlyDictionary<string, Rollout> Active => _active;

    /// <summary>Loads the active rollouts from the store.</summary>
    public async Task<IReadOnlyList<Rollout>> RestoreAsync(CancellationToken cancellationToken)
    {
        var active = await store.ActiveRolloutsAsync(cancellationToken).ConfigureAwait(false);
        _active = active.ToImmutableDictionary(r => r.Endpoint, StringComparer.Ordinal);
        return active;
    }

    /// <summary>Stores a new rollout (giving it its id) and publishes it as active.</summary>
    public async Task<Rollout> InsertAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        var stored = await store.InsertRolloutAsync(rollout, cancellationToken).ConfigureAwait(false);
        Publish(stored);
        return stored;
    }

    /// <summary>Stores the rollout's new state, publishes it (or forgets it when final), and appends its event.</summary>
    public async Task<ControlResult<Rollout>> SaveAsync(Rollout rollout, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
    {
        await store.UpdateRolloutAsync(rollout, cancellationToken).ConfigureAwait(false);
        Publish(rollout);
        await AuditAsync(rollout, kind, actor, message, dataJson, cancellationToken).ConfigureAwait(false);
        return ControlResult<Rollout>.Success(rollout);
    }

    /// <summary>Appends an event of the rollout's trail without changing its state.</summary>
    public async Task AuditAsync(Rollout rollout, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
    {
        await AppendAsync(rollout.Endpoint, rollout.Id, kind, actor, message, dataJson, cancellationToken).ConfigureAwait(false);
        Log.Transition(logger, rollout.Endpoint, kind, message);
    }

    /// <summary>Appends an event of the endpoint's trail (a route change, a fault, a refused config section).</summary>
    public Task AppendAsync(string endpoint, long? rolloutId, string kind, string actor, string message, string? dataJson, CancellationToken cancellationToken)
        => store.AppendEventAsync(new RolloutEvent(0, endpoint, rolloutId, time.GetUtcNow(), kind, actor, message, dataJson), cancellationToken);

    /// <summary>
    /// Publishes what a look found (the last analysis) without storing it: it is derived data, stored
    /// with the next transition.
    /// </summary>
    public void Note(Rollout rollout) => Publish(rollout);

    /// <summary>The endpoint's last rollout, active or not.</summary>
    public Task<Rollout?> LatestAsync(string endpoint, CancellationToken cancellationToken) => store.LatestRolloutAsync(endpoint, cancellationToken);

    /// <summary>The endpoint's audit trail.</summary>
    public Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken) => store.HistoryAsync(endpoint, limit, cancellationToken);

    private void Publish(Rollout rollout)
        => ImmutableInterlocked.Update(ref _active, (a, r) => r.IsActive ? a.SetItem(r.Endpoint, r) : a.Remove(r.Endpoint), rollout);
}
