using Npgsql;

namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// The shared state database in use by this server (<c>--state postgresql://...</c>). Unlike the
/// state file it takes no lock (replicas share it by design) and records no model repository: each
/// replica mounts the same repository at a path of its own, so a path would name one machine's
/// view of it. What the database holds is checked against this replica's repository by the
/// stale-state audit at start, as with a file.
/// </summary>
internal sealed class SharedStateDatabase : IStateHandle
{
    /// <summary>Npgsql's TCP keepalive for the membership's held sessions, in seconds (docs/scaling.md#replicas-leadership-and-route-changes-on-postgresql).</summary>
    public const int MembershipKeepaliveSeconds = 5;

    private SharedStateDatabase(PostgresRolloutStore store, PostgresTarget target)
    {
        Store = store;
        Target = target;
    }

    /// <inheritdoc />
    public IRolloutStore Store { get; }

    /// <summary>The database, as <c>admin.state</c> named it.</summary>
    public PostgresTarget Target { get; }

    /// <summary>Connects to <paramref name="target"/> and brings its schema up to date.</summary>
    /// <exception cref="StateStoreException">With a message that names the server and database (never the password) and what to do.</exception>
    public static async Task<SharedStateDatabase> OpenAsync(PostgresTarget target, CancellationToken cancellationToken)
        => new(await PostgresRolloutStore.OpenAsync(target, cancellationToken).ConfigureAwait(false), target);

    /// <summary>
    /// A data source on the same database for the replica's membership (registry, election, route
    /// listener), whose held sessions send TCP keepalives so that a dead network is noticed. The caller disposes it.
    /// </summary>
    public NpgsqlDataSource CreateMembershipSource()
        => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Target.ConnectionString) { KeepAlive = MembershipKeepaliveSeconds, ApplicationName = "usher cluster" });

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
