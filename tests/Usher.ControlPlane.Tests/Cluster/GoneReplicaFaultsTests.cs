using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>
/// The faults scoped to replicas that are gone, removed through the leader's fenced store
/// (<see cref="PostgresRolloutStore.RemoveFaultsOfGoneReplicasAsync"/>) on a real PostgreSQL. How long
/// a replica has been down is the database's clock (the registry's <c>down_at</c>), which no fake
/// clock moves: the tests move the rows' <c>down_at</c> back instead, as time passing would.
/// </summary>
public sealed class GoneReplicaFaultsTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(5);
    private static readonly FaultSpec Abort = new(1.0, 503, 0, 0);
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task Faults_of_replicas_down_longer_than_the_grace_or_forgotten_go_and_every_replicas_and_those_of_replicas_up_or_down_for_less_stay()
    {
        await using var db = await Database.CreateAsync();
        await db.RegisterAsync("up", "brief", "gone", "forgotten");
        await db.Source.ExecuteAsync("UPDATE replicas SET down_at = now() - interval '4 minutes' WHERE id = 'brief'");
        await db.Source.ExecuteAsync("UPDATE replicas SET down_at = now() - interval '5 minutes 1 second' WHERE id = 'gone'");
        await db.Source.ExecuteAsync("DELETE FROM replicas WHERE id = 'forgotten'");
        foreach (var (variant, replica) in new[] { ("fraud:1", ""), ("fraud:2", ""), ("fraud:2", "up"), ("fraud:2", "brief"), ("fraud:2", "gone"), ("fraud:1", "forgotten") })
        {
            await db.Store.SetFaultAsync(new StoredFault(variant, Abort, T0, "operator", replica), CancellationToken.None);
        }

        await using var leader = await db.LeadAsync();
        var removed = await leader.Store.RemoveFaultsOfGoneReplicasAsync(Grace, CancellationToken.None);

        // The one down past the grace, with when it went down (as the registry has it); the one the registry forgot, with none.
        var goneAt = await db.DownAtAsync("gone");
        Assert.Equal([("fraud:1", "forgotten", (DateTimeOffset?)null), ("fraud:2", "gone", goneAt)], removed.Select(r => (r.Fault.Variant, r.Fault.Replica, r.DownAt)));
        Assert.Equal(Abort, removed[0].Fault.Fault);
        Assert.Equal([("fraud:1", ""), ("fraud:2", ""), ("fraud:2", "brief"), ("fraud:2", "up")], await db.FaultsAsync());
        Assert.Empty(await leader.Store.RemoveFaultsOfGoneReplicasAsync(Grace, CancellationToken.None));

        // Two minutes later (by the database's clock) 'brief' has been down past the grace too.
        await db.Source.ExecuteAsync("UPDATE replicas SET down_at = down_at - interval '2 minutes' WHERE id = 'brief'");
        Assert.Equal([("fraud:2", "brief")], (await leader.Store.RemoveFaultsOfGoneReplicasAsync(Grace, CancellationToken.None)).Select(r => (r.Fault.Variant, r.Fault.Replica)));
        Assert.Equal([("fraud:1", ""), ("fraud:2", ""), ("fraud:2", "up")], await db.FaultsAsync());
    }

    [SkippableFact]
    public async Task A_replica_back_up_keeps_its_faults_and_a_replica_that_has_led_no_more_removes_nothing()
    {
        await using var db = await Database.CreateAsync();
        await db.RegisterAsync("paused", "gone");
        await db.Source.ExecuteAsync("UPDATE replicas SET down_at = now() - interval '1 hour' WHERE id IN ('paused', 'gone')");
        await db.Store.SetFaultAsync(new StoredFault("fraud:2", Abort, T0, "operator", "paused"), CancellationToken.None);
        await db.Store.SetFaultAsync(new StoredFault("fraud:2", Abort, T0, "operator", "gone"), CancellationToken.None);

        // 'paused' heartbeats again: up, whatever its down_at was.
        await db.RegisterAsync("paused");

        // A store whose term is not the stored one (a leader taken over, or none) is refused and removes nothing.
        var stale = new ControllerFence();
        await Assert.ThrowsAsync<LeadershipLostException>(() => db.Store.FencedBy(stale).RemoveFaultsOfGoneReplicasAsync(Grace, CancellationToken.None));
        Assert.Equal([("fraud:2", "gone"), ("fraud:2", "paused")], await db.FaultsAsync());

        await using var leader = await db.LeadAsync();
        Assert.Equal(["gone"], (await leader.Store.RemoveFaultsOfGoneReplicasAsync(Grace, CancellationToken.None)).Select(r => r.Fault.Replica));
        Assert.Equal([("fraud:2", "paused")], await db.FaultsAsync());
    }

    /// <summary>A fresh database on the shared test server: the store (which prepared it) and a data source for the registry and the election.</summary>
    private sealed record Database(PostgresRolloutStore Store, NpgsqlDataSource Source) : IAsyncDisposable
    {
        public static async Task<Database> CreateAsync()
        {
            var server = await PostgresServer.SharedAsync();
            var database = await server.CreateDatabaseAsync();
            var target = PostgresTarget.Parse(server.Uri(database), out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
            return new Database(await PostgresRolloutStore.OpenAsync(target, CancellationToken.None), NpgsqlDataSource.Create(server.ConnectionString(database)));
        }

        public async Task RegisterAsync(params string[] ids)
        {
            var registry = new ReplicaRegistry(Source);
            foreach (var id in ids)
            {
                await registry.HeartbeatAsync(new ReplicaIdentity(id, "http://127.0.0.1:9", null, ReplicaIdentity.DefaultRegion, new Dictionary<string, string>()), ReplicaLoad.Idle, CancellationToken.None);
            }
        }

        public async Task<DateTimeOffset?> DownAtAsync(string id)
        {
            await using var command = Source.CreateCommand("SELECT down_at FROM replicas WHERE id = @id");
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), $"no replica '{id}'");
            return reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
        }

        public async Task<List<(string Variant, string Replica)>> FaultsAsync()
            => [.. (await Store.FaultsAsync(CancellationToken.None)).Select(f => (f.Variant, f.Replica))];

        // The leader's view of the store: a replica that took the lock (its clock stands still: it never polls again).
        public async Task<Leader> LeadAsync()
        {
            var fence = new ControllerFence();
            var election = new LeaderElection(Source, "leader", new ClusterOptions(), new FakeTimeProvider(), NullLogger.Instance, fence);
            await election.StartAsync(CancellationToken.None);
            await ClusterDatabase.EventuallyAsync(() => election.IsLeader, "the leader leads");
            return new Leader(election, Store.FencedBy(fence));
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            await Source.DisposeAsync();
        }
    }

    private sealed record Leader(LeaderElection Election, PostgresRolloutStore Store) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Election.DisposeAsync();
    }
}
