using Npgsql;
using NpgsqlTypes;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// Experiments' assignments and outcomes (<see cref="IExperimentStore"/>) in the shared PostgreSQL
/// database. A batch of assignments is one statement (<c>unnest</c> of its columns); outcomes are
/// inserted one by one in one transaction, because each answer says whether its row was new.
/// </summary>
internal sealed class PostgresExperimentStore(NpgsqlDataSource source) : IExperimentStore
{
    /// <inheritdoc />
    public async Task AddAssignmentsAsync(IReadOnlyList<Assignment> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }

        // unnest keeps the batch's order, so of two rows for one unit the first is kept, as in SQLite.
        await using var command = source.CreateCommand("""
            INSERT INTO experiment_assignments(rollout_id, unit, version, counted, at)
            SELECT * FROM unnest(@r, @u, @v, @c, @at)
            ON CONFLICT (rollout_id, unit) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<long[]>("r", [.. batch.Select(a => a.RolloutId)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("u", [.. batch.Select(a => a.Unit)]));
        command.Parameters.Add(new NpgsqlParameter<long[]>("v", [.. batch.Select(a => a.Version)]));
        command.Parameters.Add(new NpgsqlParameter<bool[]>("c", [.. batch.Select(a => a.Counted)]));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("at", [.. batch.Select(a => a.At.ToUniversalTime())]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long?> FindAssignmentAsync(long rolloutId, string unit, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand("SELECT version FROM experiment_assignments WHERE rollout_id = @r AND unit = @u");
        command.Parameters.AddWithValue("r", rolloutId);
        command.Parameters.AddWithValue("u", unit);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long version ? version : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<bool>> AddOutcomesAsync(long rolloutId, IReadOnlyList<(string Unit, string Metric, long Version, double Value)> outcomes, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var added = new List<bool>(outcomes.Count);
        await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "INSERT INTO experiment_outcomes(rollout_id, unit, metric, version, value, at) VALUES (@r, @u, @m, @v, @x, @at) ON CONFLICT (rollout_id, unit, metric) DO NOTHING",
            connection,
            transaction);
        command.Parameters.AddWithValue("r", rolloutId);
        command.Parameters.AddWithValue("at", at.ToUniversalTime());
        var u = command.Parameters.Add("u", NpgsqlDbType.Text);
        var m = command.Parameters.Add("m", NpgsqlDbType.Text);
        var v = command.Parameters.Add("v", NpgsqlDbType.Bigint);
        var x = command.Parameters.Add("x", NpgsqlDbType.Double);
        foreach (var o in outcomes)
        {
            (u.Value, m.Value, v.Value, x.Value) = (o.Unit, o.Metric, o.Version, o.Value);
            added.Add(await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return added;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ArmTotals>> TotalsAsync(long rolloutId, string metric, CancellationToken cancellationToken)
    {
        // One statement, so that both counts are read from one snapshot of a database other replicas write to.
        await using var command = source.CreateCommand("""
            WITH assigned AS (
                SELECT version, count(*) AS n FROM experiment_assignments WHERE rollout_id = @r AND counted GROUP BY version),
            reported AS (
                SELECT version, count(*) AS n, sum(value) AS s, sum(value * value) AS ss FROM experiment_outcomes
                WHERE rollout_id = @r AND metric = @m GROUP BY version)
            SELECT version, COALESCE(a.n, 0), COALESCE(o.n, 0), COALESCE(o.s, 0), COALESCE(o.ss, 0)
            FROM assigned a FULL JOIN reported o USING (version)
            ORDER BY version
            """);
        command.Parameters.AddWithValue("r", rolloutId);
        command.Parameters.AddWithValue("m", metric);
        var totals = new List<ArmTotals>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            totals.Add(new ArmTotals(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetDouble(4)));
        }

        return totals;
    }
}
