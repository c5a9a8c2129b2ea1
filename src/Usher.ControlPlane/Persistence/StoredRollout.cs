using System.Data.Common;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// How every store lays out a rollout and an audit event in its rows (the columns of the
/// <c>rollouts</c> and <c>events</c> tables, in both schemas); each store says only how it writes
/// and reads a timestamp (SQLite: ISO 8601 text; PostgreSQL: <c>timestamptz</c>).
/// </summary>
internal static class StoredRollout
{
    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    public const string Columns = "id, phase, stable_version, step, step_started_at, rollback_window_ends_at, reason, spec_json, analysis_json, created_at, updated_at";

    /// <summary>The rows of rollouts that are not final.</summary>
    public const string Active = "phase NOT IN ('Succeeded', 'RolledBack', 'Aborted')";

    // The columns a rollout's insert and update write, in the order of Values.
    private static readonly string[] Written =
    [
        "endpoint", "strategy", "phase", "stable_version", "candidate_version", "step", "step_started_at",
        "rollback_window_ends_at", "reason", "spec_json", "analysis_json", "created_at", "updated_at",
    ];

    /// <summary>The insert of a rollout, its parameters named after the columns with <paramref name="marker"/> (<c>$</c> or <c>@</c>) before them.</summary>
    public static string Insert(char marker)
        => $"INSERT INTO rollouts({string.Join(", ", Written)}) VALUES ({string.Join(", ", Written.Select(c => marker + c))})";

    /// <summary>The update of a rollout by its id (parameter <c>id</c>), parameters as in <see cref="Insert"/>.</summary>
    public static string Update(char marker)
        => $"UPDATE rollouts SET {string.Join(", ", Written.Select(c => $"{c} = {marker}{c}"))} WHERE id = {marker}id";

    /// <summary>The columns <see cref="ReadEvent"/> reads, in its order.</summary>
    public const string EventColumns = "id, endpoint, rollout_id, at, kind, actor, message, data_json";

    /// <summary>
    /// The values of a rollout's columns by name (without <c>id</c>), null for SQL NULL, timestamps
    /// as <paramref name="time"/> gives them.
    /// </summary>
    public static IEnumerable<(string Column, object? Value)> Values(Rollout rollout, Func<DateTimeOffset, object> time)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        yield return ("endpoint", rollout.Endpoint);
        yield return ("strategy", DeploymentSpecWriter.StrategyName(rollout.Spec.Strategy));
        yield return ("phase", rollout.Phase.ToString());
        yield return ("stable_version", rollout.StableVersion);
        yield return ("candidate_version", rollout.CandidateVersion);
        yield return ("step", rollout.Step);
        yield return ("step_started_at", time(rollout.StepStartedAt));
        yield return ("rollback_window_ends_at", rollout.RollbackWindowEndsAt is { } w ? time(w) : null);
        yield return ("reason", rollout.Reason);
        yield return ("spec_json", DeploymentSpecWriter.ToJson(rollout.Spec));
        yield return ("analysis_json", rollout.LastAnalysis is { } analysis ? AnalysisDto.ToJson(analysis) : null);
        yield return ("created_at", time(rollout.CreatedAt));
        yield return ("updated_at", time(rollout.UpdatedAt));
    }

    /// <summary>The rollout in a row of <see cref="Columns"/>; <paramref name="time"/> reads a timestamp column.</summary>
    /// <exception cref="InvalidOperationException">The stored spec cannot be read.</exception>
    public static Rollout Read(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = DeploymentSpecParser.ParseStored(r.GetString(7));
        if (spec.Spec is null)
        {
            throw new InvalidOperationException($"rollout {r.GetInt64(0)} in the state store has an unreadable spec: {string.Join("; ", spec.Problems)}");
        }

        return new Rollout
        {
            Id = r.GetInt64(0),
            Phase = Enum.Parse<RolloutPhase>(r.GetString(1)),
            StableVersion = r.GetInt64(2),
            Step = r.GetInt32(3),
            StepStartedAt = time(r, 4),
            RollbackWindowEndsAt = r.IsDBNull(5) ? null : time(r, 5),
            Reason = r.IsDBNull(6) ? null : r.GetString(6),
            Spec = spec.Spec,
            LastAnalysis = r.IsDBNull(8) ? null : AnalysisDto.Parse(r.GetString(8)),
            CreatedAt = time(r, 9),
            UpdatedAt = time(r, 10),
        };
    }

    /// <summary>The event in a row of <see cref="EventColumns"/>; <paramref name="time"/> reads a timestamp column.</summary>
    public static RolloutEvent ReadEvent(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new RolloutEvent(
            r.GetInt64(0),
            r.GetString(1),
            r.IsDBNull(2) ? null : r.GetInt64(2),
            time(r, 3),
            r.GetString(4),
            r.GetString(5),
            r.GetString(6),
            r.IsDBNull(7) ? null : r.GetString(7));
    }
}
