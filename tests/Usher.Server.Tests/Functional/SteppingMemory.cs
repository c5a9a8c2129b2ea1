using Usher.Core.Repository;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// A process memory that reads <c>step</c> right after each load on demand (the read that follows the
/// load's peak) and 0 at every other read (the base, before each load, before each admission), so each
/// load measures exactly <c>step</c> and nothing counts as overhead: the RSS of a test process that runs
/// other tests beside it says nothing about one load. No peak is known. Counts the trims asked of it.
/// </summary>
internal sealed class SteppingMemory(long step) : IProcessMemory
{
    private int _afterLoad;
    private int _trims;

    public int Trims => Volatile.Read(ref _trims);

    public long ResidentBytes() => Interlocked.Exchange(ref _afterLoad, 0) == 1 ? step : 0;

    public void ResetPeak()
    {
    }

    // The meter reads the peak when a load ends, then the RSS after it.
    public long PeakBytes()
    {
        Volatile.Write(ref _afterLoad, 1);
        return 0;
    }

    public void Trim() => Interlocked.Increment(ref _trims);
}
