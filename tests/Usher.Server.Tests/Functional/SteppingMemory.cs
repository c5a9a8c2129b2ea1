using Usher.Core.Repository;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// A process memory that reads 0 before each load on demand and <c>step</c> after it (loads on demand
/// run one at a time and read it before and after), so each load measures exactly <c>step</c>: the RSS
/// of a test process that runs other tests beside it says nothing about one load. No peak is known.
/// Counts the trims asked of it.
/// </summary>
internal sealed class SteppingMemory(long step) : IProcessMemory
{
    private long _reads;
    private int _trims;

    public int Trims => Volatile.Read(ref _trims);

    public long ResidentBytes() => Interlocked.Increment(ref _reads) % 2 == 0 ? step : 0;

    public void ResetPeak()
    {
    }

    public long PeakBytes() => 0;

    public void Trim() => Interlocked.Increment(ref _trims);
}
