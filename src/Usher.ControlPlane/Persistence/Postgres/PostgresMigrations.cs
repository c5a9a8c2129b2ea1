namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// The shared state's schema in PostgreSQL, as numbered migrations (the SQLite store's
/// <see cref="Migrations"/> in PostgreSQL's types, less <c>store_info</c>: a shared database records
/// no repository path, see <see cref="SharedStateDatabase"/>). Each runs once, in its own transaction, recorded
/// in <c>schema_migrations</c>; never edit a released migration, add the next one. JSON documents
/// (specs, analyses, variants) are <c>text</c>, so that they read back exactly as written.
/// </summary>
internal static class PostgresMigrations
{
    public static IReadOnlyList<(int Version, string Sql)> All { get; } =
    [
        (1, """
            CREATE TABLE route_tables(
                endpoint text PRIMARY KEY,
                variants_json text NOT NULL,
                updated_at timestamptz NOT NULL);
            CREATE TABLE rollouts(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                endpoint text NOT NULL,
                strategy text NOT NULL,
                phase text NOT NULL,
                stable_version bigint NOT NULL,
                candidate_version bigint NOT NULL,
                step integer NOT NULL,
                step_started_at timestamptz NOT NULL,
                rollback_window_ends_at timestamptz,
                reason text,
                spec_json text NOT NULL,
                analysis_json text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL);
            CREATE INDEX rollouts_by_endpoint ON rollouts(endpoint, id);
            CREATE TABLE events(
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                endpoint text NOT NULL,
                rollout_id bigint REFERENCES rollouts(id),
                at timestamptz NOT NULL,
                kind text NOT NULL,
                actor text NOT NULL,
                message text NOT NULL,
                data_json text);
            CREATE INDEX events_by_endpoint ON events(endpoint, id);
            CREATE TABLE rejected_versions(
                model text NOT NULL,
                version bigint NOT NULL,
                at timestamptz NOT NULL,
                reason text NOT NULL,
                PRIMARY KEY (model, version));
            CREATE TABLE experiment_assignments(
                rollout_id bigint NOT NULL REFERENCES rollouts(id),
                unit text NOT NULL,
                version bigint NOT NULL,
                counted boolean NOT NULL,
                at timestamptz NOT NULL,
                PRIMARY KEY (rollout_id, unit));
            CREATE TABLE experiment_outcomes(
                rollout_id bigint NOT NULL REFERENCES rollouts(id),
                unit text NOT NULL,
                metric text NOT NULL,
                version bigint NOT NULL,
                value double precision NOT NULL,
                at timestamptz NOT NULL,
                PRIMARY KEY (rollout_id, unit, metric));
            """),
        (2, """
            CREATE TABLE replicas(
                id text PRIMARY KEY,
                http_address text NOT NULL,
                grpc_address text,
                region text NOT NULL,
                labels_json text NOT NULL,
                models_json text NOT NULL,
                queue_depth integer NOT NULL,
                in_flight integer NOT NULL,
                capacity integer NOT NULL,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL,
                down_at timestamptz);
            CREATE INDEX replicas_by_region ON replicas(region, id);
            """),
        // Route-change notification (Cluster/RouteChangeListener): every write to a route table, by
        // whichever replica or tool, sends the endpoint's name on usher_routes when it commits.
        (3, """
            CREATE FUNCTION usher_notify_route_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    PERFORM pg_notify('usher_routes', OLD.endpoint);
                ELSE
                    PERFORM pg_notify('usher_routes', NEW.endpoint);
                END IF;
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER route_tables_notify AFTER INSERT OR UPDATE OR DELETE ON route_tables
                FOR EACH ROW EXECUTE FUNCTION usher_notify_route_change();
            """),
        (4, """
            CREATE TABLE window_summaries(
                endpoint text NOT NULL,
                rollout_id bigint NOT NULL,
                window_start timestamptz NOT NULL,
                variant text NOT NULL,
                replica_id text NOT NULL,
                seq bigint NOT NULL,
                summary bytea NOT NULL,
                flushed_at timestamptz NOT NULL,
                PRIMARY KEY (endpoint, rollout_id, window_start, variant, replica_id));
            """),
        (5, """
            ALTER TABLE experiment_outcomes ALTER COLUMN version DROP NOT NULL;
            """),
        // Injected faults (IFaultStore), applied by every replica: each write, by whichever replica
        // or tool, sends the variant on usher_faults when it commits (Cluster/RouteChangeListener).
        (6, """
            CREATE TABLE faults(
                variant text PRIMARY KEY,
                abort_fraction double precision NOT NULL,
                abort_status integer NOT NULL,
                delay_ms double precision NOT NULL,
                delay_fraction double precision NOT NULL,
                set_at timestamptz NOT NULL,
                set_by text NOT NULL);
            CREATE FUNCTION usher_notify_fault_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- NEW is null on a delete, OLD on an insert.
                PERFORM pg_notify('usher_faults', COALESCE(NEW.variant, OLD.variant));
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER faults_notify AFTER INSERT OR UPDATE OR DELETE ON faults
                FOR EACH ROW EXECUTE FUNCTION usher_notify_fault_change();
            """),
        // The rollout controller's fencing term (Cluster/LeaderElection, ControllerFence): one row, which
        // each new leader increments while it holds the lock; every write of the controller checks it.
        (7, """
            CREATE TABLE controller_term(
                id boolean PRIMARY KEY DEFAULT true CHECK (id),
                term bigint NOT NULL);
            INSERT INTO controller_term(term) VALUES (0);
            """),
        // A fault may be scoped to one replica (StoredFault.Replica, the registry's id; '' = every
        // replica): the key becomes (variant, replica). The notification trigger is unchanged.
        (8, """
            ALTER TABLE faults ADD COLUMN replica text NOT NULL DEFAULT '';
            ALTER TABLE faults DROP CONSTRAINT faults_pkey;
            ALTER TABLE faults ADD PRIMARY KEY (variant, replica);
            """),
    ];
}
