namespace Usher.Core.Routing;

/// <summary>What a shadow did since mirroring started.</summary>
/// <param name="Mirrored">Copies the shadow answered.</param>
/// <param name="Dropped">Copies dropped because the queue was full (the shadow, which runs on spare capacity only, fell behind).</param>
/// <param name="Failed">Copies the shadow failed.</param>
/// <param name="Queued">Copies waiting now.</param>
internal readonly record struct ShadowCounts(long Mirrored, long Dropped, long Failed, int Queued)
{
    /// <summary>Times the worker found the primary or the shadow busy and waited <see cref="ShadowMirror.IdlePoll"/> before it looked again.</summary>
    public long Deferred { get; init; }

    /// <summary>Whether the worker is waiting now for the primary and the shadow to be idle (it runs no copy meanwhile).</summary>
    public bool WaitingForIdle { get; init; }
}
