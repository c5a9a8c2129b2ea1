using System.Collections.Immutable;
using Usher.ControlPlane.Persistence;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Publishes route tables (stored first, then swapped in atomically) and keeps each model's loaded
/// versions in line with them: versions that tables or active rollouts use stay loaded whatever the
/// version policy (under a memory budget, an active rollout's versions are loaded at once and never
/// evicted); versions a rollout rejected are unloaded.
/// </summary>
internal sealed class RouteKeeper(ModelManager models, EndpointRoutes routes, IRolloutStore store)
{
    private ImmutableHashSet<(string Model, long Version)> _rejected = [];

    public IReadOnlySet<(string Model, long Version)> Rejected => _rejected;

    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        foreach (var table in await store.RouteTablesAsync(cancellationToken).ConfigureAwait(false))
        {
            routes.Publish(table);
        }

        _rejected = [.. await store.RejectedAsync(cancellationToken).ConfigureAwait(false)];
    }

    /// <summary>
    /// For a replica that follows another's writes: reads the stored tables and rejected versions,
    /// loads what <paramref name="active"/> and the tables of <paramref name="endpoint"/> (every
    /// endpoint when null) need, then publishes those tables (an endpoint whose table is gone stops
    /// being routed) and sets every model's pins.
    /// </summary>
    public async Task FollowAsync(string? endpoint, IReadOnlyList<Rollout> active, CancellationToken cancellationToken)
    {
        var stored = await store.RouteTablesAsync(cancellationToken).ConfigureAwait(false);
        _rejected = [.. await store.RejectedAsync(cancellationToken).ConfigureAwait(false)];
        var tables = endpoint is null ? stored : [.. stored.Where(t => t.Endpoint == endpoint)];

        // Loaded before the tables send traffic to them (an active rollout's versions are resident).
        var modelsNeeded = tables.SelectMany(t => t.Variants.Select(v => v.Model)).Concat(active.Select(r => r.Spec.Model)).Distinct(StringComparer.Ordinal);
        foreach (var model in modelsNeeded.ToList())
        {
            await ApplyPinsAsync(model, active, cancellationToken).ConfigureAwait(false);
        }

        foreach (var table in tables)
        {
            routes.Publish(table);
        }

        var gone = endpoint is null
            ? routes.Tables.Keys.Except(stored.Select(t => t.Endpoint), StringComparer.Ordinal).ToList()
            : tables.Count == 0 && routes.Find(endpoint) is not null ? [endpoint] : [];
        foreach (var name in gone)
        {
            routes.Remove(name);
        }

        SetAllPins(active);
    }

    public async Task PublishAsync(RouteTable table, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await store.SaveRouteTableAsync(table, at, cancellationToken).ConfigureAwait(false);
        routes.Publish(table);
    }

    public async Task RejectAsync(string model, long version, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await store.SetRejectedAsync(model, version, reason, at, cancellationToken).ConfigureAwait(false);
        _rejected = reason is null ? _rejected.Remove((model, version)) : _rejected.Add((model, version));
    }

    /// <summary>Sets every model's pins from the tables and <paramref name="active"/> rollouts (without loading anything).</summary>
    public void SetAllPins(IEnumerable<Rollout> active)
    {
        var list = active.ToList();
        var names = routes.Tables.Values.SelectMany(t => t.Variants.Select(v => v.Model))
            .Concat(list.Select(r => r.Spec.Model))
            .Concat(_rejected.Select(r => r.Model))
            .Distinct(StringComparer.Ordinal);
        foreach (var model in names)
        {
            models.SetPins(model, PinsFor(model, list));
        }
    }

    /// <summary>Sets the model's pins and reloads it when they changed; returns the load's outcome.</summary>
    public async Task<string?> ApplyPinsAsync(string model, IEnumerable<Rollout> active, CancellationToken cancellationToken)
    {
        var pins = PinsFor(model, [.. active]);
        var current = models.PinsOf(model);
        if (current.Required.SetEquals(pins.Required) && current.Excluded.SetEquals(pins.Excluded) && current.Resident.SetEquals(pins.Resident) && models.Find(model) is not null)
        {
            return null;
        }

        models.SetPins(model, pins);
        var loaded = await models.LoadModelAsync(model, cancellationToken).ConfigureAwait(false);
        return loaded.IsSuccess ? null : loaded.Error.Message;
    }

    private VersionPins PinsFor(string model, IReadOnlyList<Rollout> active)
    {
        // Under a memory budget the versions of an active rollout stay loaded (never evicted): its
        // analysis must not measure cold starts.
        var resident = active.Where(r => r.Spec.Model == model).SelectMany(r => new[] { r.StableVersion, r.CandidateVersion }.Concat(r.Spec.Ab.Variants.Select(a => a.Version)))
            .ToImmutableSortedSet();
        var required = routes.Tables.Values.SelectMany(t => t.Variants).Where(v => v.Model == model).Select(v => v.Version)
            .Concat(resident)
            .ToImmutableSortedSet();
        var excluded = _rejected.Where(r => r.Model == model).Select(r => r.Version).Where(v => !required.Contains(v)).ToImmutableSortedSet();
        return new VersionPins(required, excluded) { Resident = resident };
    }
}
