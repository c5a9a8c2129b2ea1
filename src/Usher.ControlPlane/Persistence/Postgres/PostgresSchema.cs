using Npgsql;

namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// Brings a PostgreSQL database to the schema this build writes (<see cref="PostgresMigrations"/>):
/// under a transaction-scoped advisory lock, so that replicas starting together apply each migration
/// once; each migration in its own transaction. A database from a newer Usher is refused, never
/// downgraded.
/// </summary>
internal static class PostgresSchema
{
    // An arbitrary constant that names "Usher's schema migrations" among the database's advisory locks.
    private const long MigrationLock = 0x5573_6865_724d_6967; // "UsherMig"

    /// <summary>The schema version this build writes.</summary>
    public static int Version => PostgresMigrations.All[^1].Version;

    /// <summary>Applies the pending migrations.</summary>
    /// <exception cref="StateStoreException">The database is from a newer Usher.</exception>
    public static async Task PrepareAsync(NpgsqlDataSource source, string display, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await LockAsync(connection, "pg_advisory_lock", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
            var applied = await AppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            if (applied.Count > 0 && applied[^1] > Version)
            {
                throw new StateStoreException(
                    $"the shared state database {display} has schema version {applied[^1]}, newer than this Usher understands ({Version}); run a newer Usher on every replica, or point --state at another database");
            }

            foreach (var (version, sql) in PostgresMigrations.All.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var migrate = new NpgsqlCommand(sql, connection, transaction))
                {
                    await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations(version) VALUES (@v)", connection, transaction))
                {
                    record.Parameters.AddWithValue("v", version);
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // The lock is the session's: unlock it before the connection goes back to the pool.
            await LockAsync(connection, "pg_advisory_unlock", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The migration versions applied, ascending.</summary>
    public static async Task<IReadOnlyList<int>> AppliedAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await AppliedAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<int>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
        var versions = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task LockAsync(NpgsqlConnection connection, string function, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(@k)", connection);
        command.Parameters.AddWithValue("k", MigrationLock);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
