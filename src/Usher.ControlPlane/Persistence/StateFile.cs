namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The control plane's state file in use by this server: locked for the server's life (a second
/// server on it refuses to start, naming this one), opened and migrated, and checked to belong to
/// the model repository being served.
/// </summary>
internal sealed class StateFile : IStateHandle
{
    private readonly StateFileLock _lock;

    private StateFile(StateFileLock fileLock, SqliteRolloutStore store)
    {
        _lock = fileLock;
        Store = store;
    }

    /// <summary>The open store.</summary>
    public SqliteRolloutStore Store { get; }

    /// <inheritdoc />
    IRolloutStore IStateHandle.Store => Store;

    /// <summary>The database file.</summary>
    public string Path => Store.Path;

    /// <summary>
    /// Opens the state file at <paramref name="path"/> for the repository at <paramref name="repository"/>.
    /// A store that recorded another repository is refused, unless <paramref name="followsRepository"/>
    /// (the file lives inside the repository, so a repository that was moved takes its state along).
    /// </summary>
    /// <exception cref="StateStoreException">With a message that names the file and what to do.</exception>
    public static async Task<StateFile> OpenAsync(string path, string repository, bool followsRepository, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        var full = System.IO.Path.GetFullPath(path);
        var root = Normalize(repository);
        EnsureFolder(System.IO.Path.GetDirectoryName(full)!, full);
        var fileLock = StateFileLock.Acquire(full);
        SqliteRolloutStore? store = null;
        try
        {
            store = await SqliteRolloutStore.OpenAsync(full, cancellationToken).ConfigureAwait(false);
            var recorded = await store.RepositoryAsync(cancellationToken).ConfigureAwait(false);
            if (recorded is not null && !string.Equals(recorded, root, StringComparison.Ordinal) && !followsRepository)
            {
                throw new StateStoreException(
                    $"the state file {full} belongs to the model repository {recorded}, not {root}; pass --data-dir with a folder for this repository's state (each repository keeps its own), or move the file away");
            }

            if (!string.Equals(recorded, root, StringComparison.Ordinal))
            {
                await store.SetRepositoryAsync(root, cancellationToken).ConfigureAwait(false);
            }

            return new StateFile(fileLock, store);
        }
        catch
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            fileLock.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }

    /// <summary>A repository path as the store records it: full, without a trailing separator.</summary>
    public static string Normalize(string repository)
        => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(repository));

    private static void EnsureFolder(string folder, string file)
    {
        if (File.Exists(folder))
        {
            throw new StateStoreException($"the state folder {folder} is a file, not a folder, so {file} cannot be created; pass --data-dir with a folder (or move the file away)");
        }

        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateStoreException($"cannot create the state folder {folder} ({e.Message}); pass --data-dir with a writable folder", e);
        }
    }
}
