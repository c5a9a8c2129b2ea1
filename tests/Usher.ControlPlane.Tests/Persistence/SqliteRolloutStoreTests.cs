using Microsoft.Data.Sqlite;
using Usher.ControlPlane.Persistence;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>What only the SQLite file does: its migrations (the behaviour every store shares is <see cref="RolloutStoreContract"/>).</summary>
public sealed class SqliteRolloutStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "state", "usher.db");

    [Fact]
    public async Task Open_CreatesTheFile_AndAppliesEveryMigrationOnce()
    {
        await using (var store = await SqliteRolloutStore.OpenAsync(DbPath, CancellationToken.None))
        {
            Assert.Equal([1, 2, 3, 4, 5], await store.AppliedMigrationsAsync(CancellationToken.None));
        }

        await using var again = await SqliteRolloutStore.OpenAsync(DbPath, CancellationToken.None);
        Assert.Equal([1, 2, 3, 4, 5], await again.AppliedMigrationsAsync(CancellationToken.None));
        Assert.True(File.Exists(DbPath));
    }

    [Fact]
    public async Task Open_AFileFromANewerUsher_IsRefusedWithWhatToDo()
    {
        await (await SqliteRolloutStore.OpenAsync(DbPath, CancellationToken.None)).DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations(version, applied_at) VALUES (99, 'x')";
            await command.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<StateStoreException>(() => SqliteRolloutStore.OpenAsync(DbPath, CancellationToken.None));
        Assert.Contains($"schema version 99, newer than this Usher understands ({SqliteRolloutStore.SchemaVersion})", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_AFileOfSchema4WithAFault_KeepsTheFaultForEveryReplica_AndThenKeysFaultsByReplicaToo()
    {
        // A state file as the Usher before migration 5 left it, holding one fault.
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        await using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);"
                + string.Concat(Migrations.All.Where(m => m.Version <= 4).Select(m => $"{m.Sql}; INSERT INTO schema_migrations VALUES ({m.Version}, 'x');"))
                + "INSERT INTO faults(variant, abort_fraction, abort_status, delay_ms, delay_fraction, set_at, set_by) VALUES ('fraud:2', 0.5, 502, 0, 0, '2026-12-06T08:00:00.0000000+00:00', 'ops');";
            await command.ExecuteNonQueryAsync();
        }

        await using var store = await SqliteRolloutStore.OpenAsync(DbPath, CancellationToken.None);
        var kept = Assert.Single(await store.FaultsAsync(CancellationToken.None));
        Assert.Equal(("fraud:2", StoredFault.EveryReplica, 0.5, 502, "ops"), (kept.Variant, kept.Replica, kept.Fault.AbortFraction, kept.Fault.AbortStatus, kept.SetBy));
        await store.SetFaultAsync(kept with { Replica = "host-a" }, CancellationToken.None);
        Assert.Equal([StoredFault.EveryReplica, "host-a"], (await store.FaultsAsync(CancellationToken.None)).Select(f => f.Replica));
    }
}
