using Usher.Core.Repository;

namespace Usher.Core.Tests.Repository;

/// <summary>
/// A process whose RSS a test sets (a fake backend's loads add to it, their releases take it back), and
/// that counts the trims asked of it, with what <see cref="OnTrim"/> saw at each.
/// </summary>
internal sealed class FakeProcessMemory : IProcessMemory
{
    private readonly Lock _lock = new();
    private long _resident;
    private long _peak;
    private long _highWater;
    private int _trims;

    /// <summary>The RSS now.</summary>
    public long Resident
    {
        get
        {
            lock (_lock)
            {
                return _resident;
            }
        }

        set
        {
            lock (_lock)
            {
                _resident = value;
                _peak = Math.Max(_peak, value);
                _highWater = Math.Max(_highWater, value);
            }
        }
    }

    /// <summary>The highest RSS since the process started (never reset, unlike the peak).</summary>
    public long HighWater
    {
        get
        {
            lock (_lock)
            {
                return _highWater;
            }
        }
    }

    /// <summary>Trims asked for so far.</summary>
    public int Trims => Volatile.Read(ref _trims);

    /// <summary>Runs at each trim (a test records what was released by then).</summary>
    public Action? OnTrim { get; set; }

    public void Add(long bytes)
    {
        lock (_lock)
        {
            _resident += bytes;
            _peak = Math.Max(_peak, _resident);
            _highWater = Math.Max(_highWater, _resident);
        }
    }

    public long ResidentBytes() => Resident;

    public void ResetPeak()
    {
        lock (_lock)
        {
            _peak = _resident;
        }
    }

    public long PeakBytes()
    {
        lock (_lock)
        {
            return _peak;
        }
    }

    public void Trim()
    {
        Interlocked.Increment(ref _trims);
        OnTrim?.Invoke();
    }
}
