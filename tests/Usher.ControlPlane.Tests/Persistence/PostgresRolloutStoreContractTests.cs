using System.Net;
using System.Net.Sockets;
using Npgsql;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>
/// The store contract on a real PostgreSQL (a database of the test's own on the shared server), and
/// what only a shared database does: replicas see each other's writes and never get the same id, and
/// a database that cannot be used at start is named with what to do, never with its password.
/// </summary>
public sealed class PostgresRolloutStoreContractTests : RolloutStoreContract
{
    private PostgresServer? _server;
    private string _database = string.Empty;

    public override async Task InitializeAsync()
    {
        _server = await PostgresServer.SharedAsync();
        _database = await _server.CreateDatabaseAsync();
    }

    private PostgresServer Server => _server ?? throw new InvalidOperationException("not initialised");

    private protected override async Task<IRolloutStore> OpenStoreAsync()
        => await PostgresRolloutStore.OpenAsync(Target(Server.Uri(_database)), CancellationToken.None);

    private static PostgresTarget Target(string uri)
        => PostgresTarget.Parse(uri, out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));

    [SkippableFact]
    public async Task TwoStoresOnOneDatabase_SeeEachOthersWrites_AtOnce()
    {
        var a = await OpenAsync();
        var b = await OpenAsync();

        var rollout = await a.InsertRolloutAsync(Canary(), CancellationToken.None);
        await b.UpdateRolloutAsync(rollout with { Step = 1, UpdatedAt = T0.AddSeconds(30) }, CancellationToken.None);
        await b.SaveRouteTableAsync(Core.Routing.RouteTable.Single("fraud", "fraud", 2), T0, CancellationToken.None);
        await a.Experiments.AddAssignmentsAsync([new(rollout.Id, "key:u", 2, true, T0)], CancellationToken.None);
        Assert.Equal([true], await b.Experiments.AddOutcomesAsync(rollout.Id, [("key:u", "m", 2, 1.0)], T0, CancellationToken.None));

        var seen = Assert.Single(await a.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal((rollout.Id, 1, T0.AddSeconds(30)), (seen.Id, seen.Step, seen.UpdatedAt));
        Assert.Equal("fraud", Assert.Single(await a.RouteTablesAsync(CancellationToken.None)).Endpoint);
        Assert.Equal(2L, await b.Experiments.FindAssignmentAsync(rollout.Id, "key:u", CancellationToken.None));
        Assert.Equal([false], await a.Experiments.AddOutcomesAsync(rollout.Id, [("key:u", "m", 2, 5.0)], T0, CancellationToken.None));
    }

    [SkippableFact]
    public async Task TwoStoresInsertingAtOnce_NeverGetTheSameId()
    {
        var a = await OpenAsync();
        var b = await OpenAsync();

        var inserts = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).InsertRolloutAsync(Canary(endpoint: $"e{i}"), CancellationToken.None));
        var events = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).AppendEventAsync(new RolloutEvent(0, "fraud", null, T0, "step", "controller", $"m{i}", null), CancellationToken.None));
        var rollouts = await Task.WhenAll(inserts);
        var appended = await Task.WhenAll(events);

        Assert.Equal(40, rollouts.Select(r => r.Id).Distinct().Count());
        Assert.Equal(40, appended.Select(e => e.Id).Distinct().Count());

        // Each id names the row it was returned for.
        foreach (var rollout in rollouts)
        {
            Assert.Equal(rollout.Id, (await b.LatestRolloutAsync(rollout.Endpoint, CancellationToken.None))!.Id);
        }
    }

    [SkippableFact]
    public async Task AnUnreachableServer_AtStart_IsNamed_WithoutThePassword_AndWhatToDo()
    {
        // A loopback port nothing listens on: taken from the system, then let go.
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var error = await Assert.ThrowsAsync<StateStoreException>(
            () => PostgresRolloutStore.OpenAsync(Target($"postgresql://usher:s3cret-pw@127.0.0.1:{port}/shared"), CancellationToken.None));

        Assert.Contains($"cannot reach the PostgreSQL server 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"postgresql://usher@127.0.0.1:{port}/shared", error.Message, StringComparison.Ordinal);
        Assert.Contains("correct the host and port in --state", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AWrongDatabaseName_AtStart_IsNamed_WithWhatToDo()
    {
        var server = Server;
        var uri = $"postgresql://usher:s3cret-pw@127.0.0.1:{server.Port}/no_such_db";

        var error = await Assert.ThrowsAsync<StateStoreException>(() => PostgresRolloutStore.OpenAsync(Target(uri), CancellationToken.None));

        Assert.Contains($"the shared state database postgresql://usher@127.0.0.1:{server.Port}/no_such_db does not exist on 127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("create it (createdb)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ConnectionsThatDropWhileRunning_FailTheCallThatHitsThem_AndTheSameStoreWorksAfter()
    {
        var store = await OpenAsync();
        var before = await store.InsertRolloutAsync(Canary(), CancellationToken.None);

        // What a restart or a failover of the server does to the pool's idle connections.
        await using (var admin = NpgsqlDataSource.Create(Server.ConnectionString("postgres")))
        await using (var terminate = admin.CreateCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @d"))
        {
            terminate.Parameters.AddWithValue("d", _database);
            Assert.True((long)(await terminate.ExecuteScalarAsync())! >= 1, "the store held a pooled connection");
        }

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => store.AppendEventAsync(new RolloutEvent(0, "fraud", before.Id, T0, "step", "controller", "lost", null), CancellationToken.None));

        // Npgsql's pool dropped the broken connection and opens a new one: no reopening, no retry of ours.
        var after = await store.InsertRolloutAsync(Canary(endpoint: "other"), CancellationToken.None);
        Assert.Equal([before.Id, after.Id], (await store.ActiveRolloutsAsync(CancellationToken.None)).Select(r => r.Id));
        Assert.Empty(await store.HistoryAsync("fraud", 10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task TheSchema_IsTheMigrationsOfPostgresSchema()
    {
        await OpenAsync();
        await using var source = NpgsqlDataSource.Create(Server.ConnectionString(_database));

        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), await PostgresSchema.AppliedAsync(source, CancellationToken.None));
    }
}
