using System.Globalization;
using Microsoft.Data.Sqlite;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// Experiments' assignments and outcomes (<see cref="IExperimentStore"/>) in the state file, on the
/// rollout store's connection.
/// </summary>
internal sealed class SqliteExperimentStore : IExperimentStore
{
    private readonly SqliteRolloutStore _store;

    /// <summary>Uses <paramref name="store"/>'s database.</summary>
    public SqliteExperimentStore(SqliteRolloutStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <inheritdoc />
    public Task AddAssignmentsAsync(IReadOnlyList<Assignment> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return Task.CompletedTask;
        }

        return _store.UseAsync(
            async connection =>
            {
                using var transaction = connection.BeginTransaction();
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT OR IGNORE INTO experiment_assignments(rollout_id, unit, version, counted, at) VALUES ($r, $u, $v, $c, $at)";
                var r = command.Parameters.Add("$r", SqliteType.Integer);
                var u = command.Parameters.Add("$u", SqliteType.Text);
                var v = command.Parameters.Add("$v", SqliteType.Integer);
                var c = command.Parameters.Add("$c", SqliteType.Integer);
                var at = command.Parameters.Add("$at", SqliteType.Text);
                foreach (var a in batch)
                {
                    (r.Value, u.Value, v.Value, c.Value, at.Value) = (a.RolloutId, a.Unit, a.Version, a.Counted ? 1 : 0, Format(a.At));
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<long?> FindAssignmentAsync(long rolloutId, string unit, CancellationToken cancellationToken)
        => _store.UseAsync(
            async connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT version FROM experiment_assignments WHERE rollout_id = $r AND unit = $u";
                command.Parameters.AddWithValue("$r", rolloutId);
                command.Parameters.AddWithValue("$u", unit);
                var found = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return found is long version ? version : (long?)null;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<bool>> AddOutcomesAsync(long rolloutId, IReadOnlyList<(string Unit, string Metric, long Version, double Value)> outcomes, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        return _store.UseAsync<IReadOnlyList<bool>>(
            async connection =>
            {
                var added = new List<bool>(outcomes.Count);
                using var transaction = connection.BeginTransaction();
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT OR IGNORE INTO experiment_outcomes(rollout_id, unit, metric, version, value, at) VALUES ($r, $u, $m, $v, $x, $at)";
                command.Parameters.AddWithValue("$r", rolloutId);
                command.Parameters.AddWithValue("$at", Format(at));
                var u = command.Parameters.Add("$u", SqliteType.Text);
                var m = command.Parameters.Add("$m", SqliteType.Text);
                var v = command.Parameters.Add("$v", SqliteType.Integer);
                var x = command.Parameters.Add("$x", SqliteType.Real);
                foreach (var o in outcomes)
                {
                    (u.Value, m.Value, v.Value, x.Value) = (o.Unit, o.Metric, o.Version, o.Value);
                    added.Add(await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return added;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ArmTotals>> TotalsAsync(long rolloutId, string metric, CancellationToken cancellationToken)
        => _store.UseAsync<IReadOnlyList<ArmTotals>>(
            async connection =>
            {
                var assigned = new Dictionary<long, long>();
                using (var command = connection.CreateCommand())
                {
                    command.CommandText = "SELECT version, COUNT(*) FROM experiment_assignments WHERE rollout_id = $r AND counted = 1 GROUP BY version";
                    command.Parameters.AddWithValue("$r", rolloutId);
                    using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        assigned[reader.GetInt64(0)] = reader.GetInt64(1);
                    }
                }

                var totals = new Dictionary<long, ArmTotals>();
                using (var command = connection.CreateCommand())
                {
                    command.CommandText = "SELECT version, COUNT(*), TOTAL(value), TOTAL(value * value) FROM experiment_outcomes WHERE rollout_id = $r AND metric = $m GROUP BY version";
                    command.Parameters.AddWithValue("$r", rolloutId);
                    command.Parameters.AddWithValue("$m", metric);
                    using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var version = reader.GetInt64(0);
                        totals[version] = new ArmTotals(version, assigned.GetValueOrDefault(version), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3));
                    }
                }

                foreach (var (version, count) in assigned.Where(a => !totals.ContainsKey(a.Key)))
                {
                    totals[version] = new ArmTotals(version, count, 0, 0, 0);
                }

                return [.. totals.Values.OrderBy(t => t.Version)];
            },
            cancellationToken);

    private static string Format(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
