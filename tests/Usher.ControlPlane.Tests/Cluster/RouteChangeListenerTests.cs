using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>Route-change notification (LISTEN/NOTIFY from the trigger on route_tables) with its periodic re-read, on a real PostgreSQL.</summary>
public sealed class RouteChangeListenerTests
{
    private static readonly ClusterOptions Options = new();

    [SkippableFact]
    public async Task Every_write_to_a_route_table_reaches_every_listener_in_commit_order()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var replicas = Enumerable.Range(0, 3).Select(_ => new Replica(source, time)).ToList();
        try
        {
            foreach (var replica in replicas)
            {
                await replica.Listener.StartAsync(CancellationToken.None);
            }

            // Each listens, then re-reads every table once (nothing falls between the two).
            await ClusterDatabase.EventuallyAsync(() => replicas.All(r => r.ReloadAlls == 1), "each re-reads once at start");

            // Another writer (here plain SQL, as any replica's store or an operator would write).
            await source.ExecuteAsync("INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('fraud', '[]', now())");
            await source.ExecuteAsync("INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('churn', '[]', now())");
            await source.ExecuteAsync("UPDATE route_tables SET variants_json = '[{\"version\":2}]' WHERE endpoint = 'fraud'");
            await source.ExecuteAsync("DELETE FROM route_tables WHERE endpoint = 'churn'");

            string[] expected = ["fraud", "churn", "fraud", "churn"];
            await ClusterDatabase.EventuallyAsync(() => replicas.All(r => r.Endpoints.Count == expected.Length), "every listener hears the four writes");
            Assert.All(replicas, r => Assert.Equal(expected, r.Endpoints));
            Assert.All(replicas, r => Assert.Equal(1, r.ReloadAlls));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.Listener.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task The_PostgreSQL_stores_saves_and_deletes_reach_a_listener_and_its_reload_reads_the_saved_table()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        await using var store = await PostgresRolloutStore.OpenAsync(PostgresTarget.Parse(server.Uri(database), out _)!, CancellationToken.None);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString(database));
        var reloaded = new ConcurrentQueue<RouteTable?>();
        await using var listener = new RouteChangeListener(
            source,
            Options,
            async (endpoint, ct) => reloaded.Enqueue((await store.RouteTablesAsync(ct)).SingleOrDefault(t => t.Endpoint == endpoint)),
            _ => Task.CompletedTask,
            _ => Task.CompletedTask,
            new FakeTimeProvider(),
            NullLogger.Instance);
        await listener.StartAsync(CancellationToken.None);

        await store.SaveRouteTableAsync(new RouteTable("fraud", [new RouteVariant("fraud", 2, 25), new RouteVariant("fraud", 1, 75)]), DateTimeOffset.UnixEpoch, CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => reloaded.Count == 1, "the save is heard");
        await store.DeleteRouteTableAsync("fraud", CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => reloaded.Count == 2, "the delete is heard");

        var saved = Assert.IsType<RouteTable>(reloaded.First());
        Assert.Equal([new RouteVariant("fraud", 2, 25), new RouteVariant("fraud", 1, 75)], saved.Variants);
        Assert.Null(reloaded.Last());
    }

    [SkippableFact]
    public async Task A_listener_whose_session_is_terminated_reconnects_rereads_everything_and_hears_again()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var replica = new Replica(source, time);
        await using var listener = replica.Listener;
        await replica.StartAsync();
        var pid = await ListenerPidAsync(source);

        await using (var terminate = source.CreateCommand($"SELECT pg_terminate_backend({pid})"))
        {
            Assert.Equal(true, await terminate.ExecuteScalarAsync());
        }

        // The clock stands still, so the re-read is the reconnection's, not the periodic one.
        await ClusterDatabase.EventuallyAsync(() => replica.ReloadAlls == 2, "a re-read after reconnecting");
        Assert.NotEqual(pid, await ListenerPidAsync(source));
        await replica.HearsAsync(source, "fraud");
    }

    [SkippableFact]
    public async Task A_listener_whose_session_stops_answering_probes_it_reconnects_and_rereads()
    {
        // A network that vanished, as the listener sees it: its backend is frozen (SIGSTOP), so no
        // packet says the session is gone. After a quiet interval (wall-clock, 1 s here) it probes
        // the session, the probe times out, and it reconnects. The re-read timer's clock stands still.
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var replica = new Replica(source, time, Options with { RouteRereadInterval = TimeSpan.FromSeconds(1) });
        await using var listener = replica.Listener;
        await replica.StartAsync();
        var pid = await ListenerPidAsync(source);

        ClusterDatabase.Signal("STOP", pid);
        try
        {
            await ClusterDatabase.EventuallyAsync(() => replica.ReloadAlls == 2, "a re-read after reconnecting");
        }
        finally
        {
            ClusterDatabase.Signal("CONT", pid);
        }

        await replica.HearsAsync(source, "fraud");
    }

    [SkippableFact]
    public async Task Every_table_is_read_again_each_reread_interval_as_the_fallback()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var replica = new Replica(source, time);
        await using var listener = replica.Listener;
        await replica.StartAsync();

        time.Advance(Options.RouteRereadInterval - TimeSpan.FromMilliseconds(1));
        await Task.Delay(100);
        Assert.Equal(1, replica.ReloadAlls);
        // 1 ms on completes the interval; a whole interval per later step, in case the loop reached its timer after the first move.
        time.Advance(TimeSpan.FromMilliseconds(1));
        await ClusterDatabase.EventuallyAsync(() => replica.ReloadAlls >= 2, "the re-read after the interval", () => time.Advance(Options.RouteRereadInterval));
    }

    [SkippableFact]
    public async Task The_PostgreSQL_stores_fault_writes_reach_a_listener_as_fault_reloads_never_as_endpoints()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        await using var store = await PostgresRolloutStore.OpenAsync(PostgresTarget.Parse(server.Uri(database), out _)!, CancellationToken.None);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString(database));
        var replica = new Replica(source, new FakeTimeProvider());
        try
        {
            await replica.StartAsync();

            await store.SetFaultAsync(new StoredFault("fraud:1", new FaultSpec(AbortFraction: 1), DateTimeOffset.UnixEpoch, "ops"), CancellationToken.None);
            await ClusterDatabase.EventuallyAsync(() => replica.FaultReloads == 1, "the set is heard");
            await store.SetFaultAsync(new StoredFault("fraud:1", new FaultSpec(AbortFraction: 0.5), DateTimeOffset.UnixEpoch, "ops"), CancellationToken.None);
            await ClusterDatabase.EventuallyAsync(() => replica.FaultReloads == 2, "the replacement is heard");
            Assert.True(await store.ClearFaultAsync("fraud:1", StoredFault.EveryReplica, CancellationToken.None));
            await ClusterDatabase.EventuallyAsync(() => replica.FaultReloads == 3, "the clear is heard");

            // A clear of nothing changes no row and sends nothing; a route write after it is heard
            // as its endpoint alone (notifications arrive in commit order).
            Assert.False(await store.ClearFaultAsync("fraud:1", StoredFault.EveryReplica, CancellationToken.None));
            await replica.HearsAsync(source, "fraud");
            Assert.Equal(3, replica.FaultReloads);
            Assert.Equal(["fraud"], replica.Endpoints);
            Assert.Equal(1, replica.ReloadAlls);
        }
        finally
        {
            await replica.Listener.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_reload_that_fails_does_not_stop_the_listener()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var time = new FakeTimeProvider();
        var heard = new ConcurrentQueue<string>();
        await using var listener = new RouteChangeListener(
            source,
            Options,
            (endpoint, _) =>
            {
                heard.Enqueue(endpoint);
                return endpoint == "bad" ? Task.FromException(new InvalidOperationException("store unreachable")) : Task.CompletedTask;
            },
            _ => Task.CompletedTask,
            _ => Task.CompletedTask,
            time,
            NullLogger.Instance);
        await listener.StartAsync(CancellationToken.None);

        await source.ExecuteAsync("INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('bad', '[]', now())");
        await source.ExecuteAsync("INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('good', '[]', now())");

        await ClusterDatabase.EventuallyAsync(() => heard.Contains("good"), "the write after the failed reload is heard");
        Assert.Equal(["bad", "good"], heard);
    }

    // The listener's session, by its application_name (one listener per database in these tests).
    private static async Task<int> ListenerPidAsync(NpgsqlDataSource source)
    {
        int? pid = null;
        await ClusterDatabase.EventuallyAsync(
            async () =>
            {
                await using var command = source.CreateCommand($"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = '{RouteChangeListener.ApplicationName}'");
                pid = await command.ExecuteScalarAsync() as int?;
                return pid is not null;
            },
            "the listener's session");
        return pid!.Value;
    }

    [SkippableFact]
    public async Task The_listeners_session_asks_the_server_for_the_same_keepalives_as_the_elections_and_listens_on_both_channels()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var options = new ClusterOptions { LeaderKeepaliveIdle = TimeSpan.FromSeconds(7), LeaderKeepaliveInterval = TimeSpan.FromSeconds(2), LeaderKeepaliveCount = 4 };
        var heard = new ConcurrentQueue<string>();

        await using var session = await RouteChangeListener.OpenSessionAsync(source, options, (_, e) => heard.Enqueue($"{e.Channel} {e.Payload}"), CancellationToken.None);
        await using var election = await LeaderElection.OpenSessionAsync(source, "a", options, CancellationToken.None);
        await using var other = await source.OpenConnectionAsync();

        // 7 s quiet, then 4 probes 2 s apart: the server drops it after 15 s, as it does the election's.
        (string Setting, string Value)[] expected =
            [("tcp_keepalives_idle", "7"), ("tcp_keepalives_interval", "2"), ("tcp_keepalives_count", "4"), ("tcp_user_timeout", "15000"), ("client_connection_check_interval", "2s")];
        foreach (var (setting, value) in expected)
        {
            Assert.Equal((setting, value), (setting, await session.ShowAsync(setting)));
            Assert.Equal((setting, value), (setting, await election.ShowAsync(setting)));
        }

        Assert.Equal(RouteChangeListener.ApplicationName, await session.ShowAsync("application_name"));
        Assert.Equal(File.ReadAllText("/proc/sys/net/ipv4/tcp_keepalive_time").Trim(), await other.ShowAsync("tcp_keepalives_idle"));

        // It is the listening session: both channels, and a notification reaches the handler given.
        await using (var channels = new NpgsqlCommand("SELECT string_agg(c, ',' ORDER BY c) FROM pg_listening_channels() c", session))
        {
            Assert.Equal("usher_faults,usher_routes", await channels.ExecuteScalarAsync());
        }

        await source.ExecuteAsync("NOTIFY usher_routes, 'fraud'");
        Assert.True(await session.WaitAsync(TimeSpan.FromSeconds(30)), "no notification within 30 s");
        Assert.Equal(["usher_routes fraud"], heard);
    }

    private sealed class Replica
    {
        private int _reloadAlls;
        private int _faultReloads;

        public Replica(NpgsqlDataSource source, TimeProvider time, ClusterOptions? options = null)
            => Listener = new RouteChangeListener(
                source,
                options ?? Options,
                (endpoint, _) =>
                {
                    Endpoints.Enqueue(endpoint);
                    return Task.CompletedTask;
                },
                _ =>
                {
                    Interlocked.Increment(ref _reloadAlls);
                    return Task.CompletedTask;
                },
                _ =>
                {
                    Interlocked.Increment(ref _faultReloads);
                    return Task.CompletedTask;
                },
                time,
                NullLogger.Instance);

        public RouteChangeListener Listener { get; }

        /// <summary>Starts the listener and waits for its re-read at start.</summary>
        public async Task StartAsync()
        {
            await Listener.StartAsync(CancellationToken.None);
            await ClusterDatabase.EventuallyAsync(() => ReloadAlls == 1, "the re-read at start");
        }

        /// <summary>Writes a route table and waits until this listener hears it.</summary>
        public async Task HearsAsync(NpgsqlDataSource source, string endpoint)
        {
            await source.ExecuteAsync($"INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ('{endpoint}', '[]', now())");
            await ClusterDatabase.EventuallyAsync(() => Endpoints.Contains(endpoint), $"the listener hears the write to '{endpoint}'");
        }

        public ConcurrentQueue<string> Endpoints { get; } = new();

        public int ReloadAlls => Volatile.Read(ref _reloadAlls);

        public int FaultReloads => Volatile.Read(ref _faultReloads);
    }
}
