using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Server.Cluster;
using static Usher.Testing.Wait;

namespace Usher.Server.Tests.Cluster;

/// <summary>
/// The leader of a replica cluster (<see cref="ReplicaCluster"/>, as <c>usher serve --state</c> runs
/// it) removes the faults scoped to replicas that are gone, on a real PostgreSQL, a real repository
/// (fraud, ONNX Runtime) and fake time for its ticks. How long a replica has been down is the
/// database's clock (the registry's <c>down_at</c>), which the test moves back, as time passing would.
/// </summary>
public sealed class GoneReplicaFaultsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
    private static readonly ClusterOptions Options = new();
    private static readonly FaultSpec Abort = new(1.0, 507, 0, 0);

    [SkippableFact]
    public async Task The_leader_removes_the_fault_of_a_replica_down_past_the_grace_with_an_audit_line_and_keeps_the_others()
    {
        await using var replica = await LeaderReplica.StartAsync(Start, Options);
        var (shared, source, time, keeper, logs) = (replica.Shared, replica.Source, replica.Time, replica.Faults, replica.Logs);

        // Two more replicas register; faults for every replica, for a (the leader), b and c, set
        // through the leader's store as the admin call sets them.
        var registry = new ReplicaRegistry(source);
        foreach (var id in new[] { "b", "c" })
        {
            await registry.HeartbeatAsync(new ReplicaIdentity(id, "http://127.0.0.1:9", null, ReplicaIdentity.DefaultRegion, new Dictionary<string, string>()), ReplicaLoad.Idle, CancellationToken.None);
        }

        foreach (var scope in new[] { "", "a", "b", "c" })
        {
            await keeper.SetAsync("fraud:1", Abort, "operator", scope, CancellationToken.None);
        }

        // b went away past the grace; c went away more recently (both by the database's clock).
        await Execute(source, $"UPDATE replicas SET down_at = now() - interval '{(int)Options.FaultGrace.TotalSeconds + 1} seconds' WHERE id = 'b'");
        await Execute(source, $"UPDATE replicas SET down_at = now() - interval '{(int)Options.FaultGrace.TotalSeconds - 60} seconds' WHERE id = 'c'");

        // The leader's next ticks remove b's fault. In the same statement c's was kept: not yet past the grace.
        await EventuallyAsync(async () => !(await Scopes(shared)).Contains("b"), "b's fault is removed", () => time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal(["", "a", "c"], await Scopes(shared));

        // The delete commits first; the tick then logs and writes the audit line.
        await EventuallyAsync(async () => (await Cleared(shared)).Count > 0, "the audit line of b's fault is written");
        var cleared = Assert.Single(await Cleared(shared));
        Assert.Equal(("controller", "fraud"), (cleared.Actor, cleared.Endpoint));
        Assert.StartsWith("fault cleared on fraud:1 for replica b only: the replica is gone (marked down at ", cleared.Message, StringComparison.Ordinal);
        Assert.Contains($"more than cluster.fault_grace ({Options.FaultGrace}) ago", cleared.Message, StringComparison.Ordinal);
        var logged = Assert.Single(logs.Entries, e => e.EventId == LogEvents.GoneReplicaFaultRemoved);
        Assert.Contains("removed the fault on fraud:1 for replica b", logged.Message, StringComparison.Ordinal);
        await EventuallyAsync(() => !keeper.Stored.Any(f => f.Replica == "b"), "the leader's listing drops b's fault");

        // Two minutes later c has been down past the grace too; a's own fault and every replica's stay.
        await Execute(source, "UPDATE replicas SET down_at = down_at - interval '2 minutes' WHERE id = 'c'");
        await EventuallyAsync(async () => !(await Scopes(shared)).Contains("c"), "c's fault is removed", () => time.Advance(TimeSpan.FromSeconds(1)));
        Assert.Equal(["", "a"], await Scopes(shared));
        await EventuallyAsync(async () => (await Cleared(shared)).Count > 1, "the audit line of c's fault is written");
        Assert.Equal(["b", "c"], (await Cleared(shared)).Select(e => e.Message.Split(' ')[6]));
        await EventuallyAsync(() => keeper.Stored.Count == 2, "the leader's listing has two faults");
        Assert.Equal(["", "a"], keeper.Stored.Select(f => f.Replica));
        Assert.DoesNotContain(logs.Entries, e => e.EventId is LogEvents.GoneReplicaFaultsRemovalFailed or LogEvents.LeaderControllerFailed || e.Level >= LogLevel.Error);
    }

    private static async Task<List<string>> Scopes(SharedStateDatabase shared)
        => [.. (await shared.Store.FaultsAsync(CancellationToken.None)).Select(f => f.Replica)];

    private static async Task<List<RolloutEvent>> Cleared(SharedStateDatabase shared)
        => [.. (await shared.Store.HistoryAsync("fraud", 100, CancellationToken.None)).Where(e => e.Kind == "fault_cleared")];

    private static async Task Execute(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
