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
            Assert.Equal([1, 2, 3, 4], await store.AppliedMigrationsAsync(CancellationToken.None));
        }

        await using var again = await SqliteRolloutStore.OpenAsync(DbPath, CancellationToken.None);
        Assert.Equal([1, 2, 3, 4], await again.AppliedMigrationsAsync(CancellationToken.None));
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
}
