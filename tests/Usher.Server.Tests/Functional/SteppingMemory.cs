using Usher.Core.Repository;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// A process memory whose every reading is <c>step</c> bytes above the last: loads on demand run one
/// at a time and read it before and after, so each load measures exactly <c>step</c> (the RSS of a test
/// process that runs other tests beside it says nothing about one load). Counts the trims asked of it.
/// </summary>
internal sealed class SteppingMemory(long step) : IProcessMemory
{
    private long _resident;
    private int _trims;

    public int Trims => Volatile.Read(ref _trims);

    public long ResidentBytes() => Interlocked.Add(ref _resident, step);

    public void Trim() => Interlocked.Increment(ref _trims);
}
