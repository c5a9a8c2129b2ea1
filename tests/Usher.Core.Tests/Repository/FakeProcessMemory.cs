using Usher.Core.Repository;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// A process whose RSS a test sets (a fake backend's loads add to it, their releases take it back), and
/// that counts the trims asked of it, with what <see cref="OnTrim"/> saw at each.
/// </summary>
internal sealed class FakeProcessMemory : IProcessMemory
{
    private long _resident;
    private int _trims;

    /// <summary>The RSS now.</summary>
    public long Resident
    {
        get => Interlocked.Read(ref _resident);
        set => Interlocked.Exchange(ref _resident, value);
    }

    /// <summary>Trims asked for so far.</summary>
    public int Trims => Volatile.Read(ref _trims);

    /// <summary>Runs at each trim (a test records what was released by then).</summary>
    public Action? OnTrim { get; set; }

    public void Add(long bytes) => Interlocked.Add(ref _resident, bytes);

    public long ResidentBytes() => Resident;

    public void Trim()
    {
        Interlocked.Increment(ref _trims);
        OnTrim?.Invoke();
    }
}
