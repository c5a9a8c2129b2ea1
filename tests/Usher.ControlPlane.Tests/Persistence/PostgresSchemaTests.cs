using Npgsql;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>The PostgreSQL schema's migrations, on a real server.</summary>
public sealed class PostgresSchemaTests
{
    [SkippableFact]
    public async Task A_fresh_database_gets_every_migration_once_even_when_replicas_prepare_it_together()
    {
        var server = await PostgresServer.SharedAsync();
        await using var source = NpgsqlDataSource.Create(server.ConnectionString(await server.CreateDatabaseAsync()));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostgresSchema.PrepareAsync(source, "test", CancellationToken.None)));
        await PostgresSchema.PrepareAsync(source, "test", CancellationToken.None);

        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), await PostgresSchema.AppliedAsync(source, CancellationToken.None));
        await using var command = source.CreateCommand("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('rollouts', 'route_tables', 'events', 'replicas')");
        Assert.Equal(4L, await command.ExecuteScalarAsync());
    }

    [SkippableFact]
    public async Task A_database_from_a_newer_Usher_is_refused_and_left_as_it_is()
    {
        var server = await PostgresServer.SharedAsync();
        await using var source = NpgsqlDataSource.Create(server.ConnectionString(await server.CreateDatabaseAsync()));
        await PostgresSchema.PrepareAsync(source, "test", CancellationToken.None);
        await using (var command = source.CreateCommand($"INSERT INTO schema_migrations(version) VALUES ({PostgresSchema.Version + 1})"))
        {
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<StateStoreException>(() => PostgresSchema.PrepareAsync(source, "db-x", CancellationToken.None));

        Assert.Contains("db-x", error.Message, StringComparison.Ordinal);
        Assert.Contains($"schema version {PostgresSchema.Version + 1}", error.Message, StringComparison.Ordinal);
        Assert.Equal([.. PostgresMigrations.All.Select(m => m.Version), PostgresSchema.Version + 1], await PostgresSchema.AppliedAsync(source, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Migration_8_keeps_a_stored_fault_for_every_replica_and_keys_faults_by_variant_and_replica()
    {
        var server = await PostgresServer.SharedAsync();
        await using var source = NpgsqlDataSource.Create(server.ConnectionString(await server.CreateDatabaseAsync()));
        // A database as an Usher with migrations up to 6 left it, holding one fault.
        await using (var old = source.CreateCommand(
            "CREATE TABLE schema_migrations(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());"
            + string.Concat(PostgresMigrations.All.Where(m => m.Version <= 6).Select(m => $"{m.Sql}; INSERT INTO schema_migrations(version) VALUES ({m.Version});"))
            + "INSERT INTO faults(variant, abort_fraction, abort_status, delay_ms, delay_fraction, set_at, set_by) VALUES ('fraud:2', 0.5, 502, 0, 0, now(), 'ops');"))
        {
            await old.ExecuteNonQueryAsync();
        }

        await PostgresSchema.PrepareAsync(source, "test", CancellationToken.None);
        await using (var scoped = source.CreateCommand("INSERT INTO faults(variant, replica, abort_fraction, abort_status, delay_ms, delay_fraction, set_at, set_by) VALUES ('fraud:2', 'host-a', 1, 507, 0, 0, now(), 'ops')"))
        {
            await scoped.ExecuteNonQueryAsync();
        }

        await using var read = source.CreateCommand("SELECT variant, replica, abort_status FROM faults ORDER BY replica");
        await using var reader = await read.ExecuteReaderAsync();
        var rows = new List<(string, string, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2)));
        }

        Assert.Equal([("fraud:2", StoredFault.EveryReplica, 502), ("fraud:2", "host-a", 507)], rows);
    }
}
