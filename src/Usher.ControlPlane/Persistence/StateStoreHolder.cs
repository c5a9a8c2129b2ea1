namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The state store the rollout controller and its collaborators work on, once it is open. The
/// container that builds them is composed before the state file is opened (the file is opened at
/// start, checked to belong to the repository and audited for stale state first), so the step that
/// opens it fills this holder, and only then is the controller built from the container.
/// </summary>
internal sealed class StateStoreHolder
{
    private IRolloutStore? _store;

    /// <summary>Whether the store has been opened and handed over.</summary>
    public bool IsOpen => Volatile.Read(ref _store) is not null;

    /// <summary>The open store.</summary>
    /// <exception cref="InvalidOperationException">The state file is not open yet.</exception>
    public IRolloutStore Store => Volatile.Read(ref _store)
        ?? throw new InvalidOperationException(
            "the control plane's state file is not open yet: the rollout controller and its collaborators are built once the control plane has opened and checked it");

    /// <summary>Hands over the open, checked store; once.</summary>
    /// <exception cref="InvalidOperationException">A store was handed over already.</exception>
    public void Open(IRolloutStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (Interlocked.CompareExchange(ref _store, store, null) is not null)
        {
            throw new InvalidOperationException("the control plane's state store was handed over already");
        }
    }
}
