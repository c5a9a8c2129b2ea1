namespace Usher.Server.Frontends.Http;

/// <summary>
/// Under inline scheduling (<see cref="Hosting.SocketScheduling"/>), sends a lone REST inference (no
/// other one in flight) from the socket engine's thread that read it to a thread-pool worker before it
/// runs. Under load a request run where it was read saves the hand-offs; a lone one is answered sooner
/// by a worker: with nothing else to do, the engine's thread sleeps in the kernel between requests and
/// its core goes idle, where the pool's workers spin a while after each request and catch the next
/// one awake (fraud at concurrency 1, one quiet run: 23,106 requests/s with the hand-off, 14,482
/// without, 26,603 with the default scheduling; docs/configuration.md, "Inline scheduling"). Without
/// inline scheduling it counts nothing and never hands off.
/// </summary>
/// <param name="inline">Whether the process schedules inline.</param>
internal sealed class LoneRequestHandOff(bool inline)
{
    private int _inFlight;

    /// <summary>Whether the process schedules inline, so that <see cref="Enter"/> counts.</summary>
    public bool Inline => inline;

    /// <summary>REST inferences between <see cref="Enter"/> and <see cref="Exit"/> (always 0 when not inline).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Counts a REST inference in; true when it is the only one in flight and should leave the thread
    /// that read it. Pair every call with <see cref="Exit"/>.
    /// </summary>
    public bool Enter() => inline && Interlocked.Increment(ref _inFlight) == 1;

    /// <summary>Counts a REST inference out.</summary>
    public void Exit()
    {
        if (inline)
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
