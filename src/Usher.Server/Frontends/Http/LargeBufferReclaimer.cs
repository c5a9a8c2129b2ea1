using System.Runtime;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Gives the memory of large request buffers back after a burst. They are arrays of their own (not
/// pooled), so they become garbage when the request ends; but the collector runs only when something
/// allocates, and an idle server allocates nothing, so a burst of 60 MB bodies would stay resident.
/// After a large buffer is let go, one full, compacting collection runs <see cref="Delay"/> later
/// (at most one pending at a time, so a burst or steady large traffic costs one per delay).
/// </summary>
internal sealed class LargeBufferReclaimer(TimeProvider time, Action collect)
{
    /// <summary>Buffers from this size up ask for a collection.</summary>
    public const int Threshold = 16 * 1024 * 1024;

    /// <summary>How long after a large buffer is let go the collection runs.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private int _pending;

    /// <summary>The one the server uses: the system clock and a full, compacting collection.</summary>
    public static LargeBufferReclaimer Shared { get; } = new(TimeProvider.System, static () =>
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    });

    /// <summary>Notes that a buffer of <paramref name="bytes"/> was let go.</summary>
    public void Released(long bytes)
    {
        if (bytes < Threshold || Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }

        ITimer? timer = null;
        timer = time.CreateTimer(
            _ =>
            {
                Volatile.Write(ref _pending, 0);
                collect();
                timer?.Dispose();
            },
            null,
            Delay,
            Timeout.InfiniteTimeSpan);
    }
}
