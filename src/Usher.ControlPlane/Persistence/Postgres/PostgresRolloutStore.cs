using System.Data.Common;
using Npgsql;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// The control plane's state in a PostgreSQL database (<see cref="IRolloutStore"/>) that replicas
/// share: one <see cref="NpgsqlDataSource"/> (Npgsql's pool), each call on a pooled connection, each
/// write one statement or one transaction that commits before the call returns. Ids come from the
/// identity columns, so stores on one database never hand out the same id; timestamps are
/// <c>timestamptz</c> (UTC, microseconds). The rollout controller of a replica writes through a
/// fenced view (<see cref="FencedBy"/>), whose every write first checks the leader's term.
/// </summary>
internal sealed class PostgresRolloutStore : IRolloutStore
{
    private readonly NpgsqlDataSource _source;
    private readonly ControllerFence? _fence;
    private int _disposed;

    private PostgresRolloutStore(NpgsqlDataSource source, string location, IExperimentStore experiments, ControllerFence? fence)
    {
        _source = source;
        Location = location;
        Experiments = experiments;
        _fence = fence;
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <inheritdoc />
    public IExperimentStore Experiments { get; }

    /// <summary>
    /// Connects to the database <paramref name="target"/> names and applies pending migrations
    /// (<see cref="PostgresSchema"/>). A server that cannot be reached, a database that is not
    /// there, a login that is refused: each is a <see cref="StateStoreException"/> that names the
    /// server and database (never the password) and what to do.
    /// </summary>
    public static async Task<PostgresRolloutStore> OpenAsync(PostgresTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var source = NpgsqlDataSource.Create(target.ConnectionString);
        try
        {
            await PostgresSchema.PrepareAsync(source, target.Display, cancellationToken).ConfigureAwait(false);
            return new PostgresRolloutStore(source, target.Display, new PostgresExperimentStore(source), null);
        }
        catch (Exception e) when (StartFailure(e, target) is { } message)
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw new StateStoreException(message, e);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The leader's view of this store, given to the rollout controller: the same database, with each
    /// write (a route table, a rollout, a rejected version, an event, a fault) made in one
    /// transaction that first reads the stored controller term <c>FOR SHARE</c> and goes on only when
    /// it is the writer's term (<see cref="ControllerFence.WriterTerm"/>: the term the write's work
    /// began under, pinned by <see cref="ControllerFence.Begin"/>, else <paramref name="fence"/>'s
    /// current one); otherwise it rolls back and throws <see cref="LeadershipLostException"/> with
    /// both terms, also while this replica does not lead. The share lock makes a takeover's increment
    /// of the term wait for the writes in flight, and every write after it see the new term. The
    /// experiments' assignments and outcomes (<see cref="Experiments"/>) are not the controller's and
    /// are not fenced: every replica records its own traffic and feedback. Reads are this store's.
    /// Disposing the view leaves the database to this store.
    /// </summary>
    public PostgresRolloutStore FencedBy(ControllerFence fence)
    {
        ArgumentNullException.ThrowIfNull(fence);
        return new PostgresRolloutStore(_source, Location, Experiments, fence);
    }

    /// <inheritdoc />
    public Task SaveRouteTableAsync(RouteTable table, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var json = RouteTableJson.Write(table);
        return ExecuteAsync(
            "INSERT INTO route_tables(endpoint, variants_json, updated_at) VALUES (@e, @v, @at) ON CONFLICT (endpoint) DO UPDATE SET variants_json = excluded.variants_json, updated_at = excluded.updated_at",
            cancellationToken,
            ("e", table.Endpoint), ("v", json), ("at", Utc(at)));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RouteTable>> RouteTablesAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("SELECT endpoint, variants_json FROM route_tables ORDER BY endpoint", r => (r.GetString(0), r.GetString(1)), cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => RouteTableJson.Read(r.Item1, r.Item2))];
    }

    /// <inheritdoc />
    public Task DeleteRouteTableAsync(string endpoint, CancellationToken cancellationToken)
        => ExecuteAsync("DELETE FROM route_tables WHERE endpoint = @e", cancellationToken, ("e", endpoint));

    /// <inheritdoc />
    public async Task<Rollout> InsertRolloutAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var id = await WriteAsync(
            StoredRollout.Insert('@') + " RETURNING id",
            command => Bind(command, rollout),
            async command => (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!,
            cancellationToken).ConfigureAwait(false);
        return rollout with { Id = id };
    }

    /// <inheritdoc />
    public async Task UpdateRolloutAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var updated = await WriteAsync(
            StoredRollout.Update('@'),
            command =>
            {
                Bind(command, rollout);
                command.Parameters.AddWithValue("id", rollout.Id);
            },
            command => command.ExecuteNonQueryAsync(cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (updated != 1)
        {
            throw new InvalidOperationException($"rollout {rollout.Id} is not in the state store");
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Rollout>> ActiveRolloutsAsync(CancellationToken cancellationToken)
        => QueryAsync($"SELECT {StoredRollout.Columns} FROM rollouts WHERE {StoredRollout.Active} ORDER BY id", ReadRollout, cancellationToken);

    /// <inheritdoc />
    public async Task<Rollout?> LatestRolloutAsync(string endpoint, CancellationToken cancellationToken)
        => (await QueryAsync($"SELECT {StoredRollout.Columns} FROM rollouts WHERE endpoint = @e ORDER BY id DESC LIMIT 1", ReadRollout, cancellationToken, ("e", endpoint)).ConfigureAwait(false)).FirstOrDefault();

    /// <inheritdoc />
    public async Task<RolloutEvent> AppendEventAsync(RolloutEvent entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var id = await WriteAsync(
            "INSERT INTO events(endpoint, rollout_id, at, kind, actor, message, data_json) VALUES (@e, @r, @at, @k, @a, @m, @d) RETURNING id",
            command =>
            {
                command.Parameters.AddWithValue("e", entry.Endpoint);
                command.Parameters.Add(new NpgsqlParameter<long?>("r", entry.RolloutId));
                command.Parameters.AddWithValue("at", Utc(entry.At));
                command.Parameters.AddWithValue("k", entry.Kind);
                command.Parameters.AddWithValue("a", entry.Actor);
                command.Parameters.AddWithValue("m", entry.Message);
                command.Parameters.Add(new NpgsqlParameter<string?>("d", entry.DataJson));
            },
            async command => (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!,
            cancellationToken).ConfigureAwait(false);
        return entry with { Id = id };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(
            $"SELECT {StoredRollout.EventColumns} FROM events WHERE endpoint = @e ORDER BY id DESC LIMIT @n",
            r => StoredRollout.ReadEvent(r, ReadTime),
            cancellationToken,
            ("e", endpoint),
            ("n", limit)).ConfigureAwait(false);
        return [.. rows.OrderBy(e => e.Id)];
    }

    /// <inheritdoc />
    public Task SetRejectedAsync(string model, long version, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
        => reason is null
            ? ExecuteAsync("DELETE FROM rejected_versions WHERE model = @m AND version = @v", cancellationToken, ("m", model), ("v", version))
            : ExecuteAsync(
                "INSERT INTO rejected_versions(model, version, at, reason) VALUES (@m, @v, @at, @r) ON CONFLICT (model, version) DO UPDATE SET at = excluded.at, reason = excluded.reason",
                cancellationToken,
                ("m", model), ("v", version), ("at", Utc(at)), ("r", reason));

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
        return ExecuteAsync(StoredFault.Upsert('@'), cancellationToken, [.. fault.Values(at => Utc(at))]);
    }

    /// <inheritdoc />
    public async Task<bool> ClearFaultAsync(string variant, string replica, CancellationToken cancellationToken)
        => await ExecuteAsync("DELETE FROM faults WHERE variant = @v AND replica = @r", cancellationToken, ("v", variant), ("r", replica)).ConfigureAwait(false) > 0;

    /// <summary>
    /// Removes the faults scoped to a replica that is gone: marked down in the registry
    /// (<c>replicas</c>) more than <paramref name="grace"/> ago by the database's clock, or no longer
    /// registered. Every replica's faults stay, and so do those of a replica that is up or was marked
    /// down more recently. The removal is one statement, so it never takes the fault of a replica
    /// that registered meanwhile (its row committed before its fault could be set). A read looks
    /// first, so that the write, fenced in the leader's view like every write, runs only when there
    /// is something to remove.
    /// </summary>
    /// <returns>The faults removed, by variant then replica, each with when its replica was marked down (null: it is no longer registered).</returns>
    public async Task<IReadOnlyList<(StoredFault Fault, DateTimeOffset? DownAt)>> RemoveFaultsOfGoneReplicasAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        const string Gone = "faults.replica <> '' AND NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = faults.replica AND (r.down_at IS NULL OR r.down_at > now() - @grace))";
        var found = await QueryAsync($"SELECT EXISTS (SELECT 1 FROM faults WHERE {Gone})", r => r.GetBoolean(0), cancellationToken, ("grace", grace)).ConfigureAwait(false);
        if (!found[0])
        {
            return [];
        }

        return await WriteAsync<IReadOnlyList<(StoredFault, DateTimeOffset?)>>(
            $"""
            WITH removed AS (DELETE FROM faults WHERE {Gone} RETURNING {StoredFault.Columns})
            SELECT {StoredFault.Columns}, (SELECT down_at FROM replicas r WHERE r.id = removed.replica) FROM removed ORDER BY variant, replica
            """,
            command => command.Parameters.AddWithValue("grace", grace),
            async command =>
            {
                var removed = new List<(StoredFault, DateTimeOffset?)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    removed.Add((StoredFault.Read(reader, ReadTime), reader.IsDBNull(8) ? null : ReadTime(reader, 8)));
                }

                return removed;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The server's state handle disposes it first; the container that handed it to the
        // controller's collaborators (StateStoreHolder) disposes it again. A fenced view owns nothing.
        if (_fence is null && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The message for a failure to reach the database at start, or null for any other failure.
    /// Npgsql's own message says what happened; this one adds where and what to do.
    /// </summary>
    private static string? StartFailure(Exception e, PostgresTarget target) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } =>
            $"the shared state database {target.Display} does not exist on {target.Server}; create it (createdb) or correct the database name in --state (admin.state)",
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pg =>
            $"the PostgreSQL server {target.Server} refused the login for the shared state database {target.Display} ({pg.MessageText}); correct the user or password (in --state, or PGPASSWORD / a .pgpass file), or the server's pg_hba.conf",
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg =>
            $"the shared state database {target.Display} cannot be set up by its user ({pg.MessageText}); grant the user CREATE on the database's schema, or apply the migrations as its owner once",
        PostgresException { SqlState: not (PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections) } => null,
        NpgsqlException or TimeoutException =>
            $"cannot reach the PostgreSQL server {target.Server} for the shared state database {target.Display} ({e.GetBaseException().Message.TrimEnd('.')}); start it or correct the host and port in --state (admin.state); Usher does not start without its state",
        _ => null,
    };

    private static DateTimeOffset Utc(DateTimeOffset at) => at.ToUniversalTime();

    private static Rollout ReadRollout(DbDataReader r) => StoredRollout.Read(r, ReadTime);

    private static DateTimeOffset ReadTime(DbDataReader reader, int column) => reader.GetFieldValue<DateTimeOffset>(column);

    private static void Bind(NpgsqlCommand command, Rollout rollout)
    {
        foreach (var (column, value) in StoredRollout.Values(rollout, at => Utc(at)))
        {
            command.Parameters.AddWithValue(column, value ?? DBNull.Value);
        }
    }

    // The rows it changed.
    private Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
        => WriteAsync(
            sql,
            command =>
            {
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value);
                }
            },
            command => command.ExecuteNonQueryAsync(cancellationToken),
            cancellationToken);

    // One write: a statement on a pooled connection; in a fenced view, a transaction that first
    // checks the controller term (FencedBy).
    private async Task<T> WriteAsync<T>(string sql, Action<NpgsqlCommand> bind, Func<NpgsqlCommand, Task<T>> run, CancellationToken cancellationToken)
    {
        if (_fence is null)
        {
            await using var command = _source.CreateCommand(sql);
            bind(command);
            return await run(command).ConfigureAwait(false);
        }

        var term = _fence.WriterTerm;
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand("SELECT term FROM controller_term FOR SHARE", connection, transaction))
        {
            var stored = (long)(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (term == 0 || stored != term)
            {
                // Disposing the transaction rolls it back.
                throw new LeadershipLostException(term, stored);
            }
        }

        await using var write = new NpgsqlCommand(sql, connection, transaction);
        bind(write);
        var result = await run(write).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = _source.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
