namespace Usher.Core.Repository;

/// <summary>
/// How much of the memory budget a load on demand holds while it runs (docs/density.md), learned from
/// every load measured so far, so that the RSS stays within the budget plus the server's base even for
/// the first loads:
/// <list type="bullet">
/// <item>Before any load was measured nothing says what one takes (the runtime's one-time costs, what
/// a load needs only while it runs): the first load holds all the room the budget has left, and so runs
/// alone.</item>
/// <item>After that, a load holds its file's measured footprint, or for a file never loaded its size
/// times the largest footprint-to-file ratio measured so far (never below
/// <see cref="DensitySettings.SizeFactor"/>), plus the load's headroom: the largest transient measured,
/// and never less than its file times the largest transient-to-file ratio measured.</item>
/// <item>A hold larger than the budget less the overhead (a model far larger than the first ones, or a
/// first model far smaller than its runtime's one-time costs, which the ratios hold) is cut to that, so
/// that the load runs alone with every other version evicted; but never below its measured footprint
/// (or its file times the configured factor) plus the headroom: a load that does not fit that beside
/// the busy and pinned versions waits, or is refused.</item>
/// </list>
/// </summary>
internal sealed class LoadAdmission(double sizeFactor)
{
    private readonly Lock _lock = new();
    private double _footprintFactor = sizeFactor;
    private double _headroomFactor;
    private bool _learned;

    /// <summary>True once a load was measured.</summary>
    public bool Learned
    {
        get
        {
            lock (_lock)
            {
                return _learned;
            }
        }
    }

    /// <summary>The largest footprint-to-file ratio measured, never below the configured factor: the estimate of a file never loaded.</summary>
    public double FootprintFactor
    {
        get
        {
            lock (_lock)
            {
                return _footprintFactor;
            }
        }
    }

    /// <summary>The largest ratio of what a load needed only while it ran to its file's size.</summary>
    public double HeadroomFactor
    {
        get
        {
            lock (_lock)
            {
                return _headroomFactor;
            }
        }
    }

    /// <summary>
    /// Learns from a measured load of a file of <paramref name="fileBytes"/>: it was counted for
    /// <paramref name="countedBytes"/> and needed <paramref name="transientBytes"/> more while it ran.
    /// </summary>
    public void Learn(long fileBytes, long countedBytes, long transientBytes)
    {
        lock (_lock)
        {
            _learned = true;
            if (fileBytes <= 0)
            {
                return;
            }

            _footprintFactor = Math.Max(_footprintFactor, (double)countedBytes / fileBytes);
            _headroomFactor = Math.Max(_headroomFactor, (double)Math.Max(0, transientBytes) / fileBytes);
        }
    }

    /// <summary>
    /// The bytes to hold for a load of a file of <paramref name="fileBytes"/>.
    /// </summary>
    /// <param name="measuredBytes">The file's measured footprint, or null when no load of it was measured.</param>
    /// <param name="fileBytes">The model file's size.</param>
    /// <param name="plainBytes">The version's own footprint as counted without learning (measured, or the file times the configured factor): the least a load holds.</param>
    /// <param name="headroomBytes">The largest transient measured so far (<see cref="FootprintMeter.Headroom"/>).</param>
    /// <param name="roomBytes">The room the budget can give the load now: the budget less what cannot be evicted (the overhead, loads in progress, busy and pinned versions); the first load holds all of it.</param>
    /// <param name="ceilingBytes">The most any load can be given: the budget less the overhead.</param>
    public long Hold(long? measuredBytes, long fileBytes, long plainBytes, long headroomBytes, long roomBytes, long ceilingBytes)
    {
        double footprintFactor, headroomFactor;
        bool learned;
        lock (_lock)
        {
            (footprintFactor, headroomFactor, learned) = (_footprintFactor, _headroomFactor, _learned);
        }

        if (!learned)
        {
            return Math.Max(plainBytes, roomBytes);
        }

        var footprint = measuredBytes ?? Ceiling(fileBytes * footprintFactor);
        var headroom = Math.Max(headroomBytes, Ceiling(fileBytes * headroomFactor));
        return Math.Max(plainBytes + headroom, Math.Min(footprint + headroom, ceilingBytes));
    }

    private static long Ceiling(double bytes) => (long)Math.Ceiling(Math.Max(0, bytes));
}
