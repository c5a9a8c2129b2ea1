using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The control plane's state in one SQLite file (<see cref="IRolloutStore"/>), for one server: one
/// connection, one writer at a time; every write commits before the call returns, so a crash loses
/// nothing that was acknowledged. The file also records the model repository it belongs to
/// (<see cref="StateFile"/> checks it).
/// </summary>
internal sealed class SqliteRolloutStore : IRolloutStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _disposed;

    private SqliteRolloutStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
        Experiments = new SqliteExperimentStore(this);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Location => Path;

    /// <inheritdoc />
    public IExperimentStore Experiments { get; }

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => Migrations.All[^1].Version;

    /// <summary>
    /// Opens (or creates) the store at <paramref name="path"/> and applies pending migrations. A file
    /// that is not a usable database is reported, never replaced.
    /// </summary>
    /// <exception cref="StateStoreException">The file was written by a newer Usher, is not a usable SQLite database, or cannot be written.</exception>
    public static async Task<SqliteRolloutStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await StoreSchema.PrepareAsync(connection, full, cancellationToken).ConfigureAwait(false);
            return new SqliteRolloutStore(connection, full);
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            var what = e.SqliteErrorCode is 8 or 14 // SQLITE_READONLY, SQLITE_CANTOPEN
                ? "cannot be opened for writing"
                : "is not a usable SQLite database";
            throw new StateStoreException(
                $"the state file {full} {what} ({e.Message.TrimEnd('.')}); it was left as it is: restore it from a backup, or move it away to start with empty state (route tables, rollouts and their history are then forgotten), or pass --data-dir with another folder",
                e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The migration versions applied, ascending.</summary>
    public async Task<IReadOnlyList<int>> AppliedMigrationsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await StoreSchema.AppliedAsync(_connection, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The full path of the model repository this store belongs to, or null when none was recorded yet.</summary>
    public async Task<string?> RepositoryAsync(CancellationToken cancellationToken)
        => (await QueryAsync("SELECT value FROM store_info WHERE key = 'repository'", r => r.GetString(0), cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Records the model repository this store belongs to.</summary>
    public Task SetRepositoryAsync(string repository, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(repository);
        return WriteAsync(
            "INSERT INTO store_info(key, value) VALUES ('repository', $r) ON CONFLICT(key) DO UPDATE SET value = $r",
            cancellationToken,
            ("$r", repository));
    }

    /// <summary>Runs <paramref name="work"/> on the store's connection, alone (the experiment store shares the file).</summary>
    internal async Task<T> UseAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await work(_connection).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public Task SaveRouteTableAsync(RouteTable table, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var json = RouteTableJson.Write(table);
        return WriteAsync(
            "INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES ($e, $v, $at) ON CONFLICT(endpoint) DO UPDATE SET variants_json = $v, updated_at = $at",
            cancellationToken,
            ("$e", table.Endpoint), ("$v", json), ("$at", Format(at)));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RouteTable>> RouteTablesAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("SELECT endpoint, variants_json FROM route_tables ORDER BY endpoint", r => (r.GetString(0), r.GetString(1)), cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => RouteTableJson.Read(r.Item1, r.Item2))];
    }

    /// <inheritdoc />
    public Task DeleteRouteTableAsync(string endpoint, CancellationToken cancellationToken)
        => WriteAsync("DELETE FROM route_tables WHERE endpoint = $e", cancellationToken, ("$e", endpoint));

    /// <inheritdoc />
    public async Task<Rollout> InsertRolloutAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = StoredRollout.Insert('$') + "; SELECT last_insert_rowid();";
            Bind(command, rollout);
            var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return rollout with { Id = id };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task UpdateRolloutAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = StoredRollout.Update('$');
            Bind(command, rollout);
            command.Parameters.AddWithValue("$id", rollout.Id);
            if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
            {
                throw new InvalidOperationException($"rollout {rollout.Id} is not in the state store");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Rollout>> ActiveRolloutsAsync(CancellationToken cancellationToken)
        => RolloutsAsync($"WHERE {StoredRollout.Active} ORDER BY id", cancellationToken);

    /// <inheritdoc />
    public async Task<Rollout?> LatestRolloutAsync(string endpoint, CancellationToken cancellationToken)
        => (await RolloutsAsync("WHERE endpoint = $e ORDER BY id DESC LIMIT 1", cancellationToken, ("$e", endpoint)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<RolloutEvent> AppendEventAsync(RolloutEvent entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO events(endpoint, rollout_id, at, kind, actor, message, data_json) VALUES ($e, $r, $at, $k, $a, $m, $d);
                SELECT last_insert_rowid();
                """;
            command.Parameters.AddWithValue("$e", entry.Endpoint);
            command.Parameters.AddWithValue("$r", (object?)entry.RolloutId ?? DBNull.Value);
            command.Parameters.AddWithValue("$at", Format(entry.At));
            command.Parameters.AddWithValue("$k", entry.Kind);
            command.Parameters.AddWithValue("$a", entry.Actor);
            command.Parameters.AddWithValue("$m", entry.Message);
            command.Parameters.AddWithValue("$d", (object?)entry.DataJson ?? DBNull.Value);
            var id = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            return entry with { Id = id };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"SELECT {StoredRollout.EventColumns} FROM events WHERE endpoint = $e ORDER BY id DESC LIMIT $n",
            r => StoredRollout.ReadEvent(r, ReadTime),
            cancellationToken,
            ("$e", endpoint),
            ("$n", limit)).ConfigureAwait(false);
        return [.. rows.OrderBy(e => e.Id)];
    }

    /// <inheritdoc />
    public Task SetRejectedAsync(string model, long version, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
        => reason is null
            ? WriteAsync("DELETE FROM rejected_versions WHERE model = $m AND version = $v", cancellationToken, ("$m", model), ("$v", version))
            : WriteAsync(
                "INSERT INTO rejected_versions(model, version, at, reason) VALUES ($m, $v, $at, $r) ON CONFLICT(model, version) DO UPDATE SET at = $at, reason = $r",
                cancellationToken,
                ("$m", model), ("$v", version), ("$at", Format(at)), ("$r", reason));

    /// <inheritdoc />
    public Task<IReadOnlyList<(string Model, long Version)>> RejectedAsync(CancellationToken cancellationToken)
        => QueryAsync("SELECT model, version FROM rejected_versions ORDER BY model, version", r => (r.GetString(0), r.GetInt64(1)), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredFault>> FaultsAsync(CancellationToken cancellationToken)
        => QueryAsync($"SELECT {StoredFault.Columns} FROM faults ORDER BY variant, replica", r => StoredFault.Read(r, ReadTime), cancellationToken);

    /// <inheritdoc />
    public Task SetFaultAsync(StoredFault fault, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fault);
        return WriteAsync(StoredFault.Upsert('$'), cancellationToken, [.. fault.Values(at => Format(at)).Select(v => ("$" + v.Column, v.Value))]);
    }

    /// <inheritdoc />
    public async Task<bool> ClearFaultAsync(string variant, string replica, CancellationToken cancellationToken)
        => await WriteAsync("DELETE FROM faults WHERE variant = $v AND replica = $r", cancellationToken, ("$v", variant), ("$r", replica)).ConfigureAwait(false) > 0;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The state file disposes it first; the container that handed it to the controller's
        // collaborators (StateStoreHolder) disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private Task<IReadOnlyList<Rollout>> RolloutsAsync(string where, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
        => QueryAsync($"SELECT {StoredRollout.Columns} FROM rollouts {where}", r => StoredRollout.Read(r, ReadTime), cancellationToken, parameters);

    private static void Bind(SqliteCommand command, Rollout rollout)
    {
        foreach (var (column, value) in StoredRollout.Values(rollout, at => Format(at)))
        {
            command.Parameters.AddWithValue("$" + column, value ?? DBNull.Value);
        }
    }

    // The rows it changed.
    private async Task<int> WriteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Command(sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Command(sql, parameters);
            var rows = new List<T>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(map(reader));
            }

            return rows;
        }
        finally
        {
            _gate.Release();
        }
    }

    // Under the gate.
    private SqliteCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static string Format(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ReadTime(DbDataReader reader, int column)
        => DateTimeOffset.Parse(reader.GetString(column), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
