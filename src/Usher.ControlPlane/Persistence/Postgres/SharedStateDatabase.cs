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
    private SharedStateDatabase(PostgresRolloutStore store) => Store = store;

    /// <inheritdoc />
    public IRolloutStore Store { get; }

    /// <summary>Connects to <paramref name="target"/> and brings its schema up to date.</summary>
    /// <exception cref="StateStoreException">With a message that names the server and database (never the password) and what to do.</exception>
    public static async Task<SharedStateDatabase> OpenAsync(PostgresTarget target, CancellationToken cancellationToken)
        => new(await PostgresRolloutStore.OpenAsync(target, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
