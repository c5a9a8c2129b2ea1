using Npgsql;
using Usher.ControlPlane.Cluster;

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
        ControllerStore = store.FencedBy(Fence);
    }

    /// <inheritdoc />
    /// <remarks>Unfenced: for what runs before and beside the controller (the stale-state audit at start).</remarks>
    public IRolloutStore Store { get; }

    /// <summary>The term this replica's rollout controller writes under; its leader election enters and leaves it.</summary>
    public ControllerFence Fence { get; } = new();

    /// <summary>The store the rollout controller is given: its writes are fenced by <see cref="Fence"/> (<see cref="PostgresRolloutStore.FencedBy"/>).</summary>
    public PostgresRolloutStore ControllerStore { get; }

    /// <summary>The database, as <c>admin.state</c> named it.</summary>
    public PostgresTarget Target { get; }

    /// <summary>Connects to <paramref name="target"/> and brings its schema up to date.</summary>
    /// <exception cref="StateStoreException">With a message that names the server and database (never the password) and what to do.</exception>
    public static async Task<SharedStateDatabase> OpenAsync(PostgresTarget target, CancellationToken cancellationToken)
        => new(await PostgresRolloutStore.OpenAsync(target, cancellationToken).ConfigureAwait(false), target);

    /// <summary>
    /// A data source on the same database for the replica's membership (registry, election, route
    /// listener), whose held sessions notice a dead network: Npgsql's keepalive query every
    /// <see cref="MembershipKeepaliveSeconds"/> of quiet, and the operating system's TCP keepalive on
    /// the socket after <see cref="ClusterOptions.LeaderKeepaliveIdle"/>, then every
    /// <see cref="ClusterOptions.LeaderKeepaliveInterval"/> (the election's session asks the server
    /// for the same on its side). The caller disposes it.
    /// </summary>
    public NpgsqlDataSource CreateMembershipSource(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Target.ConnectionString)
        {
            KeepAlive = MembershipKeepaliveSeconds,
            TcpKeepAlive = true,
            TcpKeepAliveTime = (int)options.LeaderKeepaliveIdle.TotalSeconds,
            TcpKeepAliveInterval = (int)options.LeaderKeepaliveInterval.TotalSeconds,
            ApplicationName = "usher cluster",
        });
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
