namespace Usher.Core.Routing;

/// <summary>What a shadow did since mirroring started.</summary>
/// <param name="Mirrored">Copies the shadow answered.</param>
/// <param name="Dropped">Copies dropped because the queue was full (the shadow, which runs on spare capacity only, fell behind).</param>
/// <param name="Failed">Copies the shadow failed.</param>
/// <param name="Queued">Copies waiting now.</param>
internal readonly record struct ShadowCounts(long Mirrored, long Dropped, long Failed, int Queued)
{
    /// <summary>Looks at which the worker found the primary or the shadow busy and left copies queued until its next look, <see cref="ShadowMirror.Pace"/> later.</summary>
    public long Deferred { get; init; }

    /// <summary>Whether the worker is waiting now on the clock for its next look (<see cref="ShadowMirror.Pace"/>; it runs no copy meanwhile).</summary>
    public bool Waiting { get; init; }

    /// <summary>Hand-overs that woke the worker (it slept on an empty queue); while copies keep coming it paces and no hand-over wakes it.</summary>
    public long Wakes { get; init; }
}
