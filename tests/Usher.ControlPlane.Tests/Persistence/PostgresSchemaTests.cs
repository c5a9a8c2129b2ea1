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
}
