using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>
/// The controller term on a real PostgreSQL: each leadership increments it, the fenced view of the
/// store checks it in every write's transaction, and the election's session carries keepalives of
/// its own. A leader cut off without having noticed is an election whose fake clock never moves
/// again (it never polls), with its backend terminated.
/// </summary>
public sealed class ControllerFenceTests
{
    private static readonly ClusterOptions Options = new();
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task After_a_takeover_every_write_under_the_old_term_is_refused_with_both_terms_and_nothing_of_it_is_stored()
    {
        await using var db = await SharedState.CreateAsync();
        var (a, fenceA) = await LeadAsync(db, "a");
        await using var leaderA = a;
        Assert.Equal((1L, 1L), (a.Term, fenceA.Term));

        // Under its own term a's writes commit.
        var asA = db.Store.FencedBy(fenceA);
        var rollout = await asA.InsertRolloutAsync(Canary(), CancellationToken.None);
        await asA.SaveRouteTableAsync(RouteTable.Single("fraud", "fraud", 1), T0, CancellationToken.None);
        await asA.AppendEventAsync(new RolloutEvent(0, "fraud", rollout.Id, T0, "deploy", "a", "started", null), CancellationToken.None);
        Assert.Equal(rollout.Id, Assert.Single(await db.Store.ActiveRolloutsAsync(CancellationToken.None)).Id);

        // b takes over; a has not noticed (it has not polled since) and still holds term 1.
        await db.Source.TerminateHolderAsync();
        var (b, fenceB) = await LeadAsync(db, "b");
        await using var leaderB = b;
        Assert.Equal(2L, b.Term);
        Assert.True(a.IsLeader);
        Assert.Equal(1L, fenceA.Term);
        var paused = rollout with { Phase = RolloutPhase.Paused, Reason = "paused by b", UpdatedAt = T0.AddSeconds(1) };
        await db.Store.FencedBy(fenceB).UpdateRolloutAsync(paused, CancellationToken.None);

        Func<Task>[] staleWrites =
        [
            () => asA.UpdateRolloutAsync(rollout with { Step = 1, UpdatedAt = T0.AddSeconds(2) }, CancellationToken.None),
            () => asA.InsertRolloutAsync(Canary("other"), CancellationToken.None),
            () => asA.SaveRouteTableAsync(new RouteTable("fraud", [new RouteVariant("fraud", 2, 50), new RouteVariant("fraud", 1, 50)]), T0.AddSeconds(2), CancellationToken.None),
            () => asA.DeleteRouteTableAsync("fraud", CancellationToken.None),
            () => asA.AppendEventAsync(new RolloutEvent(0, "fraud", rollout.Id, T0.AddSeconds(2), "step", "a", "stale step", null), CancellationToken.None),
            () => asA.SetRejectedAsync("fraud", 2, "stale", T0.AddSeconds(2), CancellationToken.None),
        ];
        foreach (var write in staleWrites)
        {
            var refused = await Assert.ThrowsAsync<LeadershipLostException>(write);
            Assert.Equal((1L, 2L), (refused.WriterTerm, refused.StoredTerm));
            Assert.Contains("no longer leads the rollout controller: it wrote under controller term 1, but the shared state is at term 2", refused.Message, StringComparison.Ordinal);
        }

        // The tables hold a's writes before the takeover and b's after it, nothing of a's stale ones.
        var stored = Assert.Single(await db.Store.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal((RolloutPhase.Paused, 0, "paused by b"), (stored.Phase, stored.Step, stored.Reason));
        Assert.Equal(1L, await db.Source.CountAsync("SELECT count(*) FROM rollouts"));
        Assert.Equal([("fraud", 1L, 100.0)], (await db.Store.RouteTablesAsync(CancellationToken.None)).SelectMany(t => t.Variants.Select(v => (t.Endpoint, v.Version, v.Weight))));
        Assert.Equal(["deploy"], (await db.Store.HistoryAsync("fraud", 10, CancellationToken.None)).Select(e => e.Kind));
        Assert.Empty(await db.Store.RejectedAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task Work_begun_under_a_term_has_its_write_refused_after_its_replica_lost_and_took_back_the_leadership_and_new_work_writes()
    {
        await using var db = await SharedState.CreateAsync();
        var fenceA = new ControllerFence();
        var timeA = new FakeTimeProvider();
        await using var a = new LeaderElection(db.Source, "a", Options, timeA, NullLogger.Instance, fenceA);
        await a.StartAsync(CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => a.IsLeader, "a leads");
        var asA = db.Store.FencedBy(fenceA);
        var rollout = await asA.InsertRolloutAsync(Canary(), CancellationToken.None);

        // A piece of a's work begins under term 1 (as a tick or an admin call on the leader does), reads
        // the rollout, and is held before its write.
        var read = new TaskCompletionSource<Rollout>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var oldWork = Task.Run(async () =>
        {
            using var work = fenceA.Begin();
            var current = Assert.Single(await asA.ActiveRolloutsAsync(CancellationToken.None));
            read.SetResult(current);
            await release.Task;
            await asA.UpdateRolloutAsync(current with { Step = 1, UpdatedAt = T0.AddSeconds(3) }, CancellationToken.None);
        });
        var seen = await read.Task;

        // a is cut off; b takes over (term 2) and pauses the rollout; a notices at its next poll.
        await db.Source.TerminateHolderAsync();
        var (b, fenceB) = await LeadAsync(db, "b");
        await using (b)
        {
            Assert.Equal(2L, b.Term);
            await db.Store.FencedBy(fenceB).UpdateRolloutAsync(seen with { Phase = RolloutPhase.Paused, Reason = "paused by b", UpdatedAt = T0.AddSeconds(1) }, CancellationToken.None);
            await ClusterDatabase.EventuallyAsync(() => !a.IsLeader, "a notices it lost the lock", () => timeA.Advance(Options.LeaderPollInterval));
            Assert.Equal(0L, fenceA.Term);

            // b stops (it releases the lock) and a takes the leadership back, on term 3.
            await b.StopAsync(CancellationToken.None);
        }

        await ClusterDatabase.EventuallyAsync(() => a.IsLeader, "a leads again", () => timeA.Advance(Options.LeaderPollInterval));
        Assert.Equal((3L, 3L), (a.Term, fenceA.Term));

        // The old work's write is refused with the term it began under and the stored one, though a leads again.
        release.SetResult();
        var refused = await Assert.ThrowsAsync<LeadershipLostException>(() => oldWork);
        Assert.Equal((1L, 3L), (refused.WriterTerm, refused.StoredTerm));
        Assert.Contains("it wrote under controller term 1, but the shared state is at term 3", refused.Message, StringComparison.Ordinal);
        var stored = Assert.Single(await db.Store.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal((RolloutPhase.Paused, 0, "paused by b"), (stored.Phase, stored.Step, stored.Reason));

        // Work begun under term 3 writes, and so does a write with no term pinned (the current one).
        using (fenceA.Begin())
        {
            await asA.UpdateRolloutAsync(stored with { Reason = "read again under term 3", UpdatedAt = T0.AddSeconds(4) }, CancellationToken.None);
        }

        await asA.AppendEventAsync(new RolloutEvent(0, "fraud", rollout.Id, T0.AddSeconds(5), "resume", "a", "unpinned", null), CancellationToken.None);
        Assert.Equal("read again under term 3", Assert.Single(await db.Store.ActiveRolloutsAsync(CancellationToken.None)).Reason);
        Assert.Equal(["resume"], (await db.Store.HistoryAsync("fraud", 10, CancellationToken.None)).Select(e => e.Kind));
    }

    [Fact]
    public async Task Begin_pins_the_term_for_its_async_flow_and_what_it_starts_the_innermost_pin_wins_and_disposing_restores()
    {
        var fence = new ControllerFence();
        Assert.Equal(0L, fence.WriterTerm);
        var notLeading = fence.Begin();
        fence.Enter(4);

        // Pinned while not leading: 0, whatever term is entered after.
        Assert.Equal((4L, 0L), (fence.Term, fence.WriterTerm));
        notLeading.Dispose();
        Assert.Equal(4L, fence.WriterTerm);

        using (fence.Begin())
        {
            fence.Leave(4);
            fence.Enter(6);
            Assert.Equal((6L, 4L), (fence.Term, fence.WriterTerm));

            // Flows into what the work starts; a nested Begin pins its own start, until disposed.
            Assert.Equal(4L, await Task.Run(() => fence.WriterTerm));
            using (fence.Begin())
            {
                Assert.Equal(6L, fence.WriterTerm);
            }

            Assert.Equal(4L, fence.WriterTerm);

            // A flow that does not come from this one, and another server's fence, are not pinned by it.
            Task<long> elsewhere;
            using (ExecutionContext.SuppressFlow())
            {
                elsewhere = Task.Run(() => fence.WriterTerm);
            }

            Assert.Equal(6L, await elsewhere);
            var other = new ControllerFence();
            other.Enter(9);
            Assert.Equal(9L, other.WriterTerm);
        }

        Assert.Equal(6L, fence.WriterTerm);
    }

    [SkippableFact]
    public async Task A_write_in_flight_holds_the_term_so_the_takeovers_increment_waits_until_it_commits()
    {
        await using var db = await SharedState.CreateAsync();
        var (a, fenceA) = await LeadAsync(db, "a");
        await using var leaderA = a;

        // a's write in flight, as a fenced write makes it: a transaction that has read the term FOR
        // SHARE and not yet written or committed. The test holds it open.
        await using var inFlight = await db.Source.OpenConnectionAsync();
        await using var transaction = await inFlight.BeginTransactionAsync();
        await using (var check = new NpgsqlCommand("SELECT term FROM controller_term FOR SHARE", inFlight, transaction))
        {
            Assert.Equal(1L, await check.ExecuteScalarAsync());
        }

        await db.Source.TerminateHolderAsync();
        var fenceB = new ControllerFence();
        var timeB = new FakeTimeProvider();
        await using var b = new LeaderElection(db.Source, "b", Options, timeB, NullLogger.Instance, fenceB);
        await b.StartAsync(CancellationToken.None);

        // b takes the free lock, and its increment waits on the row a's write holds.
        await ClusterDatabase.EventuallyAsync(
            async () => await db.Source.CountAsync("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'b' AND cardinality(pg_blocking_pids(pid)) > 0") == 1,
            "b's increment waits for a's write in flight",
            () => timeB.Advance(Options.LeaderPollInterval));
        Assert.False(b.IsLeader);
        Assert.Equal((0L, 1L), (fenceB.Term, await db.Source.CountAsync("SELECT term FROM controller_term")));

        await using (var write = new NpgsqlCommand("INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('fraud', '[]', now())", inFlight, transaction))
        {
            await write.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();

        // Once it committed (under term 1) the increment goes on, and a's next write is refused.
        await ClusterDatabase.EventuallyAsync(() => b.IsLeader, "b leads", () => timeB.Advance(Options.LeaderPollInterval));
        Assert.Equal((2L, 2L), (b.Term, fenceB.Term));
        Assert.Equal(1L, await db.Source.CountAsync("SELECT count(*) FROM route_tables WHERE endpoint = 'fraud'"));
        var refused = await Assert.ThrowsAsync<LeadershipLostException>(() => db.Store.FencedBy(fenceA).DeleteRouteTableAsync("fraud", CancellationToken.None));
        Assert.Equal((1L, 2L), (refused.WriterTerm, refused.StoredTerm));
    }

    [SkippableFact]
    public async Task A_replica_that_does_not_lead_has_its_writes_refused_even_on_a_database_no_one_has_led()
    {
        await using var db = await SharedState.CreateAsync();
        var follower = db.Store.FencedBy(new ControllerFence());

        // No one has led this database yet (its term is 0): still refused, as this replica does not lead.
        var refused = await Assert.ThrowsAsync<LeadershipLostException>(() => follower.SaveRouteTableAsync(RouteTable.Single("fraud", "fraud", 1), T0, CancellationToken.None));
        Assert.Equal((0L, 0L), (refused.WriterTerm, refused.StoredTerm));
        Assert.StartsWith("this replica does not lead the rollout controller (the shared state is at controller term 0)", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<LeadershipLostException>(() => follower.AppendEventAsync(new RolloutEvent(0, "fraud", null, T0, "fault", "operator", "fault set on fraud:2", null), CancellationToken.None));
        await Assert.ThrowsAsync<LeadershipLostException>(() => follower.SetFaultAsync(new StoredFault("fraud:2", new FaultSpec(1.0, 503, 0, 0), T0, "operator"), CancellationToken.None));

        // The experiments' writes are every replica's own.
        var rollout = await db.Store.InsertRolloutAsync(Canary(), CancellationToken.None);
        await follower.Experiments.AddAssignmentsAsync([new(rollout.Id, "key:u", 2, true, T0)], CancellationToken.None);

        Assert.Empty(await db.Store.RouteTablesAsync(CancellationToken.None));
        Assert.Empty(await db.Store.HistoryAsync("fraud", 10, CancellationToken.None));
        Assert.Empty(await db.Store.FaultsAsync(CancellationToken.None));
        Assert.Equal(2L, await db.Store.Experiments.FindAssignmentAsync(rollout.Id, "key:u", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Resigning_a_fenced_term_ends_that_leadership_and_frees_the_lock_and_an_other_term_is_left_alone()
    {
        await using var db = await SharedState.CreateAsync();
        var (a, fence) = await LeadAsync(db, "a");
        await using var leader = a;
        var changes = new List<bool>();
        a.LeadershipChanged += changes.Add;
        var leadership = a.Leadership;

        await a.ResignAsync(2, "a write under term 2 was fenced", CancellationToken.None);
        Assert.Equal((true, 1L, 1L), (a.IsLeader, a.Term, fence.Term));

        // Its session still holds the lock: resigning unlocks it before closing the session.
        await a.ResignAsync(1, "a write under term 1 was fenced", CancellationToken.None);
        Assert.Equal((false, 0L, 0L), (a.IsLeader, a.Term, fence.Term));
        Assert.True(leadership.IsCancellationRequested);
        Assert.Equal([false], changes);
        Assert.Null(await LeaderElection.CurrentLeaderAsync(db.Source, CancellationToken.None));
    }

    [SkippableFact]
    public async Task The_elections_session_asks_the_server_for_its_own_keepalives_and_the_membership_socket_has_them_too()
    {
        await using var db = await SharedState.CreateAsync();
        var options = new ClusterOptions { LeaderKeepaliveIdle = TimeSpan.FromSeconds(7), LeaderKeepaliveInterval = TimeSpan.FromSeconds(2), LeaderKeepaliveCount = 4 };

        await using var session = await LeaderElection.OpenSessionAsync(db.Source, "a", options, CancellationToken.None);
        await using var other = await db.Source.OpenConnectionAsync();

        // 7 s quiet, then 4 probes 2 s apart: dropped after 15 s. (These settings show no unit: seconds, then milliseconds.)
        Assert.Equal("7", await session.ShowAsync("tcp_keepalives_idle"));
        Assert.Equal("2", await session.ShowAsync("tcp_keepalives_interval"));
        Assert.Equal("4", await session.ShowAsync("tcp_keepalives_count"));
        Assert.Equal("15000", await session.ShowAsync("tcp_user_timeout"));
        Assert.Equal("2s", await session.ShowAsync("client_connection_check_interval"));
        Assert.Equal("a", await session.ShowAsync("application_name"));

        // Only that session: another on the same server keeps the operating system's keepalive.
        Assert.Equal(File.ReadAllText("/proc/sys/net/ipv4/tcp_keepalive_time").Trim(), await other.ShowAsync("tcp_keepalives_idle"));
        Assert.Equal("0", await other.ShowAsync("client_connection_check_interval"));

        await using var shared = await SharedStateDatabase.OpenAsync(db.Target, CancellationToken.None);
        await using var membership = shared.CreateMembershipSource(options);
        var client = new NpgsqlConnectionStringBuilder(membership.ConnectionString);
        Assert.Equal((true, 7, 2), (client.TcpKeepAlive, client.TcpKeepAliveTime, client.TcpKeepAliveInterval));
    }

    // A candidate that takes the lock at its first attempt and then never polls again (its clock stands still).
    private static async Task<(LeaderElection Election, ControllerFence Fence)> LeadAsync(SharedState db, string id)
    {
        var fence = new ControllerFence();
        var election = new LeaderElection(db.Source, id, Options, new FakeTimeProvider(), NullLogger.Instance, fence);
        await election.StartAsync(CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => election.IsLeader, $"{id} leads");
        return (election, fence);
    }

    private static Rollout Canary(string endpoint = "fraud") => new()
    {
        Spec = DeploymentSpecParser.Parse($$"""{"endpoint": "{{endpoint}}", "model": "fraud", "version": 2, "strategy": "canary"}""").Spec!,
        StableVersion = 1,
        Phase = RolloutPhase.Progressing,
        StepStartedAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    /// <summary>A fresh database on the shared test server: the store (which prepared it) and a data source for the elections.</summary>
    private sealed record SharedState(PostgresTarget Target, PostgresRolloutStore Store, NpgsqlDataSource Source) : IAsyncDisposable
    {
        public static async Task<SharedState> CreateAsync()
        {
            var server = await PostgresServer.SharedAsync();
            var database = await server.CreateDatabaseAsync();
            var target = PostgresTarget.Parse(server.Uri(database), out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
            var store = await PostgresRolloutStore.OpenAsync(target, CancellationToken.None);
            return new SharedState(target, store, NpgsqlDataSource.Create(server.ConnectionString(database)));
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            await Source.DisposeAsync();
        }
    }
}
