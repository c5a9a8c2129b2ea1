namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// The term this replica's rollout controller writes under on the shared state: the fencing token
/// of its leadership. The leader election (<c>Cluster/LeaderElection</c>) increments the stored
/// term (<c>controller_term</c>, migration 7) on its own session each time it takes the lock, and
/// enters the new value here before the controller starts; it leaves it the moment the leadership
/// ends. A fenced view of the store (<see cref="PostgresRolloutStore.FencedBy"/>) checks, in each
/// write's transaction, that the stored term is still the writer's (<see cref="WriterTerm"/>), so a
/// step that passed its check just before another replica took over cannot write after it. One per
/// server, created with its shared state (<see cref="SharedStateDatabase.Fence"/>), since the store
/// exists before the election.
/// </summary>
/// <remarks>
/// A piece of work (a tick, an admin call's action) pins the term it began under with
/// <see cref="Begin"/>, for its whole async flow: every fenced write in that flow is checked against
/// the pinned term, not the current one. Without the pin, a piece of work begun under term T and
/// still running when its replica leads again on a later term (it lost the lock, another replica led
/// and changed the state, it took the lock back) would pass the fence with what it read before the
/// other leader's writes. The pin is ambient (an <see cref="AsyncLocal{T}"/>) rather than a term
/// passed down, because the fenced writes are made several layers below where work begins (the
/// journal, the transitions, the route keeper, the fault keeper) through <see cref="IRolloutStore"/>,
/// which the state file shares and which knows no terms.
/// </remarks>
internal sealed class ControllerFence
{
    // The term pinned by the innermost Begin of the current async flow; null: none pinned.
    private readonly AsyncLocal<long?> _pinned = new();
    private long _term;

    /// <summary>The term of this replica's leadership now; 0 while it does not lead.</summary>
    public long Term => Interlocked.Read(ref _term);

    /// <summary>
    /// The term a fenced write of the calling flow is checked against: the term pinned by the
    /// innermost <see cref="Begin"/> of this async flow, else the current <see cref="Term"/>.
    /// </summary>
    public long WriterTerm => _pinned.Value ?? Term;

    /// <summary>Enters the term the election has just stored (positive).</summary>
    public void Enter(long term)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(term);
        Interlocked.Exchange(ref _term, term);
    }

    /// <summary>Leaves <paramref name="term"/> (nothing when a later term was entered since).</summary>
    public void Leave(long term) => Interlocked.CompareExchange(ref _term, 0, term);

    /// <summary>
    /// Pins the current <see cref="Term"/> (0 while this replica does not lead: every fenced write of
    /// the work is then refused) for the calling async flow, until the scope is disposed: the
    /// work's fenced writes are refused once another leadership has begun, even when this replica
    /// leads again. Flows into what the work awaits and starts (<see cref="Task.Run(Func{Task})"/>, timers);
    /// a nested <see cref="Begin"/> pins the term of its own start.
    /// </summary>
    public TermScope Begin()
    {
        var previous = _pinned.Value;
        _pinned.Value = Term;
        return new TermScope(this, previous);
    }

    /// <summary>A term pinned by <see cref="Begin"/>; disposing it restores the flow's earlier pin (or none).</summary>
    internal sealed class TermScope : IDisposable
    {
        private readonly ControllerFence _fence;
        private readonly long? _previous;

        internal TermScope(ControllerFence fence, long? previous)
        {
            _fence = fence;
            _previous = previous;
        }

        /// <inheritdoc />
        public void Dispose() => _fence._pinned.Value = _previous;
    }
}
