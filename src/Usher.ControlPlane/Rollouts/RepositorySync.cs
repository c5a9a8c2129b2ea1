using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Usher.ControlPlane.Deployments;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Keeps the route tables in line with the repository, one endpoint at a time (the caller holds its
/// gate): a new model gets a table (its newest version), a table whose version vanished is repaired,
/// and a new version whose model's <c>config.yaml</c> has a <c>rollout</c> section is handed back to
/// be deployed.
/// </summary>
internal sealed partial class RepositorySync(ModelManager models, EndpointRoutes routes, RouteKeeper keeper, RolloutJournal journal, ILogger<RepositorySync> logger)
{
    private readonly ConcurrentDictionary<(string, long), bool> _invalidSections = new();

    /// <summary>The models of the repository (each is an endpoint of its own name).</summary>
    public IEnumerable<string> Models => models.Models.Select(m => m.Name);

    /// <summary>The outcome for one endpoint: whether its table changed, and a rollout its config asks for.</summary>
    public sealed record Outcome(bool RouteChanged, DeploymentSpec? Deploy);

    /// <summary>Syncs the endpoint named after model <paramref name="name"/>.</summary>
    public async Task<Outcome> SyncAsync(string name, CancellationToken cancellationToken)
    {
        if (models.Find(name) is not { NewestReady: { } newest } entry)
        {
            return new Outcome(false, null);
        }

        var table = routes.Find(entry.Name);
        var active = journal.Active.ContainsKey(entry.Name);
        if (table is null || (!active && table.Variants.Any(v => v.Model == entry.Name && entry.Find(v.Version) is null)))
        {
            var why = table is null ? "new endpoint" : $"version {string.Join(", ", table.Variants.Select(v => v.Version))} is gone from the repository";
            await keeper.PublishAsync(RouteTable.Single(entry.Name, entry.Name, newest.Version), journal.Now, cancellationToken).ConfigureAwait(false);
            await journal.AppendAsync(entry.Name, null, "route", "controller", $"{why}: all traffic to version {newest.Version}", null, cancellationToken).ConfigureAwait(false);
            return new Outcome(true, null);
        }

        if (active || newest.Loaded?.Config.RolloutJson is not { } rolloutJson
            || table.Variants.Any(v => v.Version >= newest.Version) || keeper.Rejected.Contains((entry.Name, newest.Version)))
        {
            return new Outcome(false, null);
        }

        var last = await journal.LatestAsync(entry.Name, cancellationToken).ConfigureAwait(false);
        if (last?.CandidateVersion == newest.Version)
        {
            return new Outcome(false, null);
        }

        var spec = DeploymentSpecParser.Parse(rolloutJson, entry.Name, newest.Version);
        if (spec.Spec is null)
        {
            if (_invalidSections.TryAdd((entry.Name, newest.Version), true))
            {
                Log.InvalidRolloutSection(logger, entry.Name, newest.Version, string.Join("; ", spec.Problems));
                await journal.AppendAsync(entry.Name, null, "abort", "repository", $"version {newest.Version} appeared but config.yaml's rollout section is invalid: {string.Join("; ", spec.Problems)}", null, cancellationToken).ConfigureAwait(false);
            }

            return new Outcome(false, null);
        }

        return new Outcome(false, spec.Spec with { Endpoint = entry.Name, Model = entry.Name, Version = newest.Version });
    }
}
