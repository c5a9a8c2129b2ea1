using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Runs at start-up, before the controller restores anything: finds stored route tables, active
/// rollouts and rejected versions that name models or versions the repository no longer has, and
/// keeps them from being resumed. An active rollout is ended as aborted and a route table of a model
/// that is gone is removed, each with an event in the endpoint's history; a table that names a
/// vanished version of a model that is still there is reported and left to the controller, which
/// sends its traffic to the newest version. Nothing is loaded or pinned for a name that is not there.
/// On a state that replicas share, the audit only reports: what one replica's repository lacks,
/// another's may have (a mount that is late, a replica started from an older copy), and the shared
/// rollouts and tables are the leader's to change, not a starting replica's.
/// </summary>
internal static class StaleStateAudit
{
    // What a replica that shares its state says of what its own repository lacks.
    private const string KeptShared = "the shared state is kept as it is (another replica may have it; the leader's controller and operators change it)";

    /// <summary>
    /// Audits <paramref name="store"/> against the repository, where <paramref name="versionsOnDisk"/>
    /// gives a model's versions on disk (null when the model is not there). Returns what was found;
    /// with <paramref name="shared"/> (replicas share the store) it reports and changes nothing.
    /// </summary>
    public static async Task<IReadOnlyList<StaleStateEntry>> RunAsync(
        IRolloutStore store, string repository, Func<string, IReadOnlyList<long>?> versionsOnDisk, DateTimeOffset now, CancellationToken cancellationToken, bool shared = false)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(versionsOnDisk);
        var found = new List<StaleStateEntry>();
        var disk = new Dictionary<string, IReadOnlyList<long>?>(StringComparer.Ordinal);
        IReadOnlyList<long>? OnDisk(string model) => disk.TryGetValue(model, out var v) ? v : disk[model] = versionsOnDisk(model);
        string? Missing(string model, IEnumerable<long> versions)
        {
            if (OnDisk(model) is not { } present)
            {
                return $"model '{model}' is not in the repository {repository}";
            }

            var gone = versions.Distinct().Where(v => !present.Contains(v)).Order().ToList();
            return gone.Count == 0 ? null : $"version {string.Join(", ", gone)} of '{model}' {(gone.Count == 1 ? "is" : "are")} not in the repository {repository}";
        }

        foreach (var rollout in await store.ActiveRolloutsAsync(cancellationToken).ConfigureAwait(false))
        {
            var versions = new[] { rollout.StableVersion, rollout.CandidateVersion }.Concat(rollout.Spec.Ab.Variants.Select(v => v.Version));
            if (Missing(rollout.Spec.Model, versions) is not { } why)
            {
                continue;
            }

            var subject = $"rollout {rollout.Id} ({DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy)} of version {rollout.CandidateVersion} over {rollout.StableVersion})";
            if (shared)
            {
                found.Add(new StaleStateEntry(rollout.Endpoint, "rollout", $"{subject} names what this replica lacks: {why}; {KeptShared}"));
                continue;
            }

            var message = $"{subject} is not resumed: {why}; it ends as aborted";
            await store.UpdateRolloutAsync(rollout with { Phase = RolloutPhase.Aborted, Reason = message, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            await store.AppendEventAsync(new RolloutEvent(0, rollout.Endpoint, rollout.Id, now, "abort", "controller", message, null), cancellationToken).ConfigureAwait(false);
            found.Add(new StaleStateEntry(rollout.Endpoint, "rollout", message));
        }

        foreach (var table in await store.RouteTablesAsync(cancellationToken).ConfigureAwait(false))
        {
            var absent = table.Variants.Select(v => v.Model).Distinct(StringComparer.Ordinal).Where(m => OnDisk(m) is null).ToList();
            if (absent.Count > 0 && shared)
            {
                found.Add(new StaleStateEntry(table.Endpoint, "route_table", $"route table names what this replica lacks: {Missing(absent[0], [])}; {KeptShared}"));
                continue;
            }

            if (absent.Count > 0)
            {
                var message = $"route table not restored: {Missing(absent[0], [])}; it is removed (a model that comes back gets a new table)";
                await store.DeleteRouteTableAsync(table.Endpoint, cancellationToken).ConfigureAwait(false);
                await store.AppendEventAsync(new RolloutEvent(0, table.Endpoint, null, now, "route", "controller", message, null), cancellationToken).ConfigureAwait(false);
                found.Add(new StaleStateEntry(table.Endpoint, "route_table", message));
                continue;
            }

            var vanished = table.Variants.GroupBy(v => v.Model, StringComparer.Ordinal).Select(g => Missing(g.Key, g.Select(v => v.Version))).OfType<string>().ToList();
            if (vanished.Count > 0)
            {
                found.Add(new StaleStateEntry(table.Endpoint, "route_table", $"route table names {string.Join("; ", vanished)}; its traffic goes to the newest version once the repository is loaded"));
            }
        }

        foreach (var (model, version) in await store.RejectedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Missing(model, [version]) is { } why && !shared)
            {
                await store.SetRejectedAsync(model, version, null, now, cancellationToken).ConfigureAwait(false);
                found.Add(new StaleStateEntry(model, "rejected_version", $"the rejection of version {version} is forgotten: {why}"));
            }
        }

        return found;
    }
}
