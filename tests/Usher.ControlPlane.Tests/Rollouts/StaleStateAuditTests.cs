using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>Start-up sets aside stored state that names models or versions the repository does not have.</summary>
public sealed class StaleStateAuditTests : IDisposable
{
    private const string Repository = "/models";
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = T0.AddHours(1);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // The repository on disk: fraud versions 1 and 2, iris version 1.
    private static IReadOnlyList<long>? OnDisk(string model) => model switch
    {
        "fraud" => [1, 2],
        "iris" => [1],
        _ => null,
    };

    private static Rollout Canary(string model, long version, long stable) => new()
    {
        Spec = DeploymentSpecParser.Parse($$"""{"endpoint": "{{model}}", "version": {{version}}, "strategy": "canary"}""").Spec!,
        StableVersion = stable,
        Phase = RolloutPhase.Progressing,
        StepStartedAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    [Fact]
    public async Task Audit_EndsRolloutsAndRemovesTablesOfMissingModelsOrVersions_AndKeepsTheRest()
    {
        await using var store = await SqliteRolloutStore.OpenAsync(_dir.Combine("usher.db"), CancellationToken.None);
        var kept = await store.InsertRolloutAsync(Canary("fraud", 2, 1), CancellationToken.None);
        var missingVersion = await store.InsertRolloutAsync(Canary("iris", 3, 1), CancellationToken.None);
        var missingModel = await store.InsertRolloutAsync(Canary("ghost", 2, 1), CancellationToken.None);
        await store.SaveRouteTableAsync(new RouteTable("fraud", [new RouteVariant("fraud", 2, 20), new RouteVariant("fraud", 1, 80)]), T0, CancellationToken.None);
        await store.SaveRouteTableAsync(RouteTable.Single("iris", "iris", 3), T0, CancellationToken.None);
        await store.SaveRouteTableAsync(RouteTable.Single("ghost", "ghost", 1), T0, CancellationToken.None);
        await store.SetRejectedAsync("fraud", 2, "rolled back", T0, CancellationToken.None);
        await store.SetRejectedAsync("ghost", 4, "rolled back", T0, CancellationToken.None);

        var found = await StaleStateAudit.RunAsync(store, Repository, OnDisk, Now, CancellationToken.None);

        Assert.Equal(
            [("iris", "rollout"), ("ghost", "rollout"), ("ghost", "route_table"), ("iris", "route_table"), ("ghost", "rejected_version")],
            found.Select(f => (f.Endpoint, f.Kind)));
        Assert.Contains("version 3 of 'iris' is not in the repository /models", found[0].Message, StringComparison.Ordinal);
        Assert.Contains("model 'ghost' is not in the repository /models", found[1].Message, StringComparison.Ordinal);

        Assert.Equal([kept.Id], (await store.ActiveRolloutsAsync(CancellationToken.None)).Select(r => r.Id));
        var ended = await store.LatestRolloutAsync("iris", CancellationToken.None);
        Assert.Equal((missingVersion.Id, RolloutPhase.Aborted, Now), (ended!.Id, ended.Phase, ended.UpdatedAt));
        Assert.Equal(RolloutPhase.Aborted, (await store.LatestRolloutAsync("ghost", CancellationToken.None))!.Phase);
        Assert.Equal(missingModel.Id, (await store.LatestRolloutAsync("ghost", CancellationToken.None))!.Id);

        // The ghost's table is gone; iris keeps its table for the controller to repair; fraud is untouched.
        Assert.Equal(["fraud", "iris"], (await store.RouteTablesAsync(CancellationToken.None)).Select(t => t.Endpoint));
        Assert.Equal([("fraud", 2L)], await store.RejectedAsync(CancellationToken.None));

        var history = await store.HistoryAsync("ghost", 10, CancellationToken.None);
        Assert.Equal(["abort", "route"], history.Select(e => e.Kind));
        Assert.All(history, e => Assert.Equal(Now, e.At));
    }

    [Fact]
    public async Task Audit_OfAStateReplicasShare_ReportsWhatThisRepositoryLacks_AndChangesNothing()
    {
        await using var store = await SqliteRolloutStore.OpenAsync(_dir.Combine("usher.db"), CancellationToken.None);
        await store.InsertRolloutAsync(Canary("fraud", 2, 1), CancellationToken.None);
        await store.InsertRolloutAsync(Canary("iris", 3, 1), CancellationToken.None);
        await store.InsertRolloutAsync(Canary("ghost", 2, 1), CancellationToken.None);
        await store.SaveRouteTableAsync(RouteTable.Single("ghost", "ghost", 1), T0, CancellationToken.None);
        await store.SetRejectedAsync("ghost", 4, "rolled back", T0, CancellationToken.None);

        var found = await StaleStateAudit.RunAsync(store, Repository, OnDisk, Now, CancellationToken.None, shared: true);

        Assert.Equal([("iris", "rollout"), ("ghost", "rollout"), ("ghost", "route_table")], found.Select(f => (f.Endpoint, f.Kind)));
        Assert.All(found, f => Assert.Contains("the shared state is kept as it is", f.Message, StringComparison.Ordinal));
        Assert.Contains("version 3 of 'iris' is not in the repository /models", found[0].Message, StringComparison.Ordinal);
        Assert.Equal(3, (await store.ActiveRolloutsAsync(CancellationToken.None)).Count);
        Assert.Equal(["ghost"], (await store.RouteTablesAsync(CancellationToken.None)).Select(t => t.Endpoint));
        Assert.Equal([("ghost", 4L)], await store.RejectedAsync(CancellationToken.None));
        Assert.Empty(await store.HistoryAsync("ghost", 10, CancellationToken.None));
    }

    [Fact]
    public async Task Audit_OfStateThatMatchesTheRepository_ChangesNothing()
    {
        await using var store = await SqliteRolloutStore.OpenAsync(_dir.Combine("usher.db"), CancellationToken.None);
        await store.InsertRolloutAsync(Canary("fraud", 2, 1), CancellationToken.None);
        await store.SaveRouteTableAsync(RouteTable.Single("iris", "iris", 1), T0, CancellationToken.None);

        var found = await StaleStateAudit.RunAsync(store, Repository, OnDisk, Now, CancellationToken.None);

        Assert.Empty(found);
        Assert.Single(await store.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Empty(await store.HistoryAsync("fraud", 10, CancellationToken.None));
    }
}
