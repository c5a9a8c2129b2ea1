namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The state store's schema, as numbered migrations. Each runs once, in its own transaction, and
/// is recorded in <c>schema_migrations</c>; never edit a released migration, add the next one.
/// </summary>
internal static class Migrations
{
    public static IReadOnlyList<(int Version, string Sql)> All { get; } =
    [
        (1, """
            CREATE TABLE route_tables(
                endpoint TEXT PRIMARY KEY,
                variants_json TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE TABLE rollouts(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                endpoint TEXT NOT NULL,
                strategy TEXT NOT NULL,
                phase TEXT NOT NULL,
                stable_version INTEGER NOT NULL,
                candidate_version INTEGER NOT NULL,
                step INTEGER NOT NULL,
                step_started_at TEXT NOT NULL,
                rollback_window_ends_at TEXT,
                reason TEXT,
                spec_json TEXT NOT NULL,
                analysis_json TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL);
            CREATE INDEX rollouts_by_endpoint ON rollouts(endpoint, id);
            CREATE TABLE events(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                endpoint TEXT NOT NULL,
                rollout_id INTEGER REFERENCES rollouts(id),
                at TEXT NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                message TEXT NOT NULL,
                data_json TEXT);
            CREATE INDEX events_by_endpoint ON events(endpoint, id);
            CREATE TABLE rejected_versions(
                model TEXT NOT NULL,
                version INTEGER NOT NULL,
                at TEXT NOT NULL,
                reason TEXT NOT NULL,
                PRIMARY KEY (model, version));
            """),
        (2, """
            CREATE TABLE experiment_assignments(
                rollout_id INTEGER NOT NULL REFERENCES rollouts(id),
                unit TEXT NOT NULL,
                version INTEGER NOT NULL,
                counted INTEGER NOT NULL,
                at TEXT NOT NULL,
                PRIMARY KEY (rollout_id, unit)) WITHOUT ROWID;
            CREATE TABLE experiment_outcomes(
                rollout_id INTEGER NOT NULL REFERENCES rollouts(id),
                unit TEXT NOT NULL,
                metric TEXT NOT NULL,
                version INTEGER NOT NULL,
                value REAL NOT NULL,
                at TEXT NOT NULL,
                PRIMARY KEY (rollout_id, unit, metric)) WITHOUT ROWID;
            """),
        (3, """
            CREATE TABLE store_info(
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL) WITHOUT ROWID;
            """),
        (4, """
            CREATE TABLE faults(
                variant TEXT PRIMARY KEY,
                abort_fraction REAL NOT NULL,
                abort_status INTEGER NOT NULL,
                delay_ms REAL NOT NULL,
                delay_fraction REAL NOT NULL,
                set_at TEXT NOT NULL,
                set_by TEXT NOT NULL) WITHOUT ROWID;
            """),
    ];
}
