namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// The term this replica's rollout controller writes under on the shared state: the fencing token
/// of its leadership. The leader election (<c>Cluster/LeaderElection</c>) increments the stored
/// term (<c>controller_term</c>, migration 7) on its own session each time it takes the lock, and
/// enters the new value here before the controller starts; it leaves it the moment the leadership
/// ends. A fenced view of the store (<see cref="PostgresRolloutStore.FencedBy"/>) checks, in each
/// write's transaction, that the stored term is still this one, so a step that passed its check
/// just before another replica took over cannot write after it. One per server, created with its
/// shared state (<see cref="SharedStateDatabase.Fence"/>), since the store exists before the election.
/// </summary>
internal sealed class ControllerFence
{
    private long _term;

    /// <summary>The term of this replica's leadership; 0 while it does not lead.</summary>
    public long Term => Interlocked.Read(ref _term);

    /// <summary>Enters the term the election has just stored (positive).</summary>
    public void Enter(long term)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(term);
        Interlocked.Exchange(ref _term, term);
    }

    /// <summary>Leaves <paramref name="term"/> (nothing when a later term was entered since).</summary>
    public void Leave(long term) => Interlocked.CompareExchange(ref _term, 0, term);
}
