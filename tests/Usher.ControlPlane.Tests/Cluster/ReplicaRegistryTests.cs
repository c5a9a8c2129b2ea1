using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Usher.ControlPlane.Cluster;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>The replica registry and its heartbeat, on a real PostgreSQL.</summary>
public sealed class ReplicaRegistryTests
{
    private static readonly ClusterOptions Options = new();

    [SkippableFact]
    public async Task Three_replicas_heartbeat_and_the_one_that_goes_quiet_is_marked_down_by_the_database_clock()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var registry = new ReplicaRegistry(source);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var queueA = 0;
        await using var a = Heartbeat(registry, Identity("a", "eu"), () => new ReplicaLoad([new ReplicaModel("fraud", 2, true)], Volatile.Read(ref queueA), 1, 2), time);
        await using var b = Heartbeat(registry, Identity("b", "eu"), () => ReplicaLoad.Idle, time);
        var c = Heartbeat(registry, Identity("c", "us") with { GrpcAddress = "http://10.0.0.3:8001", Labels = new Dictionary<string, string> { ["hw"] = "gpu" } }, () => ReplicaLoad.Idle, time);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        await c.StartAsync(CancellationToken.None);

        var registered = await registry.ListAsync(CancellationToken.None);
        Assert.Equal(["a", "b", "c"], registered.Select(r => r.Id));
        Assert.All(registered, r => Assert.True(r.IsUp));
        var rowC = registered[2];
        Assert.Equal(("us", "http://10.0.0.3:8001", "gpu"), (rowC.Region, rowC.GrpcAddress, rowC.Labels["hw"]));
        Assert.Equal([new ReplicaModel("fraud", 2, true)], registered[0].Models);
        Assert.Equal((0, 1, 2), (registered[0].QueueDepth, registered[0].InFlight, registered[0].Capacity));

        // The heartbeat carries the load as it is at each beat.
        Volatile.Write(ref queueA, 7);
        await ClusterDatabase.EventuallyAsync(async () => (await registry.ListAsync(CancellationToken.None))[0].QueueDepth == 7, "a's heartbeat reports queue depth 7", () => time.Advance(Options.HeartbeatInterval));

        // c crashes: its heartbeat stops, nothing marks it down. The replicas' clock jumps ten
        // minutes; the ages are the database's, by which c's last heartbeat is a moment old: all up.
        await c.DisposeAsync();
        var rounds = (a.Rounds, b.Rounds);
        time.Advance(TimeSpan.FromMinutes(10));
        await ClusterDatabase.EventuallyAsync(() => a.Rounds > rounds.Item1 && b.Rounds > rounds.Item2, "a and b sweep after the clock jump", () => time.Advance(Options.HeartbeatInterval));
        Assert.All(await registry.ListAsync(CancellationToken.None), r => Assert.True(r.IsUp, $"{r.Id} is up"));

        // By the database's clock, c's last heartbeat is now 6 s old (past down_after, 5 s).
        await source.ExecuteAsync("UPDATE replicas SET heartbeat_at = now() - interval '6 seconds' WHERE id = 'c'");
        await ClusterDatabase.EventuallyAsync(async () => !(await registry.ListAsync(CancellationToken.None))[2].IsUp, "c is marked down", () => time.Advance(Options.HeartbeatInterval));
        var afterTimeout = await registry.ListAsync(CancellationToken.None);
        Assert.Equal([true, true, false], afterTimeout.Select(r => r.IsUp));
        Assert.True(afterTimeout[2].DownAt > afterTimeout[2].HeartbeatAt + TimeSpan.FromSeconds(5), "marked down after the timeout");

        // a stops cleanly: down at once, without waiting for the timeout.
        await a.StopAsync(CancellationToken.None);
        Assert.Equal([false, true, false], (await registry.ListAsync(CancellationToken.None)).Select(r => r.IsUp));
    }

    [SkippableFact]
    public async Task A_sweep_marks_down_only_replicas_quiet_for_longer_than_the_timeout_and_a_heartbeat_brings_one_back()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var registry = new ReplicaRegistry(source);
        foreach (var id in new[] { "fresh", "late", "quiet" })
        {
            await registry.HeartbeatAsync(Identity(id, "eu"), ReplicaLoad.Idle, CancellationToken.None);
        }

        // Ages by the database's clock: 0 s, 3 s and 8 s against a 5 s timeout.
        await source.ExecuteAsync("UPDATE replicas SET heartbeat_at = now() - interval '3 seconds' WHERE id = 'late'");
        await source.ExecuteAsync("UPDATE replicas SET started_at = now() - interval '1 hour', heartbeat_at = now() - interval '8 seconds' WHERE id = 'quiet'");

        Assert.Equal(["quiet"], await registry.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Empty(await registry.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal(["fresh", "late"], (await registry.ListAsync(CancellationToken.None)).Where(r => r.IsUp).Select(r => r.Id));

        // A replica that paused past the timeout and heartbeats again is up again, with its start kept.
        var before = (await registry.ListAsync(CancellationToken.None)).Single(r => r.Id == "quiet");
        await registry.HeartbeatAsync(Identity("quiet", "eu"), ReplicaLoad.Idle, CancellationToken.None);
        var back = (await registry.ListAsync(CancellationToken.None)).Single(r => r.Id == "quiet");
        Assert.True(back.IsUp);
        Assert.Equal(before.StartedAt, back.StartedAt);
        Assert.True(back.HeartbeatAt > before.HeartbeatAt);
    }

    [SkippableFact]
    public async Task A_replica_down_for_longer_than_forget_after_is_deleted()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var registry = new ReplicaRegistry(source);
        await registry.HeartbeatAsync(Identity("old", "eu"), ReplicaLoad.Idle, CancellationToken.None);
        await registry.HeartbeatAsync(Identity("recent", "eu"), ReplicaLoad.Idle, CancellationToken.None);
        Assert.True(await registry.MarkDownAsync("old", CancellationToken.None));
        Assert.True(await registry.MarkDownAsync("recent", CancellationToken.None));
        Assert.False(await registry.MarkDownAsync("recent", CancellationToken.None));
        await source.ExecuteAsync("UPDATE replicas SET down_at = now() - interval '61 minutes' WHERE id = 'old'");

        await registry.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Equal(["recent"], (await registry.ListAsync(CancellationToken.None)).Select(r => r.Id));
    }

    [SkippableFact]
    public async Task The_json_columns_are_what_the_gateway_reads()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var registry = new ReplicaRegistry(source);
        await registry.HeartbeatAsync(
            Identity("r1", "eu") with { Labels = new Dictionary<string, string> { ["hw"] = "cpu" } },
            new ReplicaLoad([new ReplicaModel("fraud", 1, false), new ReplicaModel("fraud", 2, true)], 3, 4, 5),
            CancellationToken.None);

        await using var command = source.CreateCommand("SELECT labels_json, models_json FROM replicas");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("""{"hw":"cpu"}""", reader.GetString(0));
        Assert.Equal("""[{"model":"fraud","version":1,"ready":false},{"model":"fraud","version":2,"ready":true}]""", reader.GetString(1));
    }

    [SkippableFact]
    public async Task A_versions_hardware_requirement_reads_back_as_written_and_a_row_from_a_replica_without_the_field_reads_as_none()
    {
        await using var source = await ClusterDatabase.CreateAsync();
        var registry = new ReplicaRegistry(source);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var heartbeat = Heartbeat(
            registry,
            Identity("new", "eu") with { Labels = new Dictionary<string, string> { ["hw"] = "gpu" } },
            () => new ReplicaLoad([new ReplicaModel("fraud", 1, true, "gpu"), new ReplicaModel("churn", 1, true)], 0, 0, 2),
            time);
        await heartbeat.StartAsync(CancellationToken.None);

        // A replica of the release before the field: its models_json has no "hardware".
        await source.ExecuteAsync("""
            INSERT INTO replicas(id, http_address, grpc_address, region, labels_json, models_json, queue_depth, in_flight, capacity, started_at, heartbeat_at, down_at)
            VALUES ('old', 'http://old.test:8000', NULL, 'eu', '{}', '[{"model":"fraud","version":1,"ready":true}]', 0, 0, 1, now(), now(), NULL)
            """);

        await using (var command = source.CreateCommand("SELECT models_json FROM replicas WHERE id = 'new'"))
        {
            Assert.Equal(
                """[{"model":"fraud","version":1,"ready":true,"hardware":"gpu"},{"model":"churn","version":1,"ready":true}]""",
                (string?)await command.ExecuteScalarAsync());
        }

        var rows = (await registry.ListAsync(CancellationToken.None)).ToDictionary(r => r.Id);
        Assert.Equal([new ReplicaModel("fraud", 1, true, "gpu"), new ReplicaModel("churn", 1, true, null)], rows["new"].Models);
        Assert.Equal([new ReplicaModel("fraud", 1, true, null)], rows["old"].Models);
    }

    internal static ReplicaIdentity Identity(string id, string region)
        => new(id, $"http://{id}.test:8000", null, region, new Dictionary<string, string>());

    private static ReplicaHeartbeat Heartbeat(ReplicaRegistry registry, ReplicaIdentity identity, Func<ReplicaLoad> load, TimeProvider time)
        => new(registry, identity, load, Options, time, NullLogger.Instance);
}
