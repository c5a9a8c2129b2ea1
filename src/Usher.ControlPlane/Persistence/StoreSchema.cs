using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The state file's schema: the connection's settings, the integrity check (a damaged file fails at
/// start-up, not at the first write) and the migrations (<see cref="Migrations"/>), applied in order,
/// each in its own transaction. A file from a newer Usher is refused, never downgraded.
/// </summary>
internal static class StoreSchema
{
    /// <summary>Readies an open connection to <paramref name="path"/>: settings, integrity, pending migrations.</summary>
    public static async Task PrepareAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", cancellationToken).ConfigureAwait(false);
        await CheckIntegrityAsync(connection, path, cancellationToken).ConfigureAwait(false);
        await MigrateAsync(connection, path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task MigrateAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)", cancellationToken).ConfigureAwait(false);
        var applied = await AppliedAsync(connection, cancellationToken).ConfigureAwait(false);
        if (applied.Count > 0 && applied[^1] > SqliteRolloutStore.SchemaVersion)
        {
            throw new StateStoreException($"the state file {path} has schema version {applied[^1]}, newer than this Usher understands ({SqliteRolloutStore.SchemaVersion}); run a newer Usher, or pass --data-dir with another folder");
        }

        foreach (var (version, sql) in Migrations.All.Where(m => !applied.Contains(m.Version)))
        {
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = sql + "; INSERT INTO schema_migrations(version, applied_at) VALUES ($v, $at);";
                command.Parameters.AddWithValue("$v", version);
                command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // A damaged file fails here, at start-up, not at the first rollout's write.
    private static async Task CheckIntegrityAsync(SqliteConnection connection, string path, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check(1)";
        var verdict = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(verdict, "ok", StringComparison.Ordinal))
        {
            throw new StateStoreException(
                $"the state file {path} is damaged (SQLite integrity check: {verdict}); it was left as it is: restore it from a backup, or move it away to start with empty state (route tables, rollouts and their history are then forgotten), or pass --data-dir with another folder");
        }
    }

    public static async Task<IReadOnlyList<int>> AppliedAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
        var versions = new List<int>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
