namespace Usher.Gateway.Retries;

/// <summary>
/// Bounds retries to a fraction of the requests over a sliding window (plus a small floor, so that a
/// quiet gateway can still retry): when every replica fails, retries add at most that much load
/// instead of doubling it. The window is ten buckets on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class RetryBudget
{
    private const int Buckets = 10;

    private readonly TimeProvider _time;
    private readonly long _bucketTicks;
    private readonly double _ratio;
    private readonly int _floor;
    private readonly long[] _requests = new long[Buckets];
    private readonly long[] _retries = new long[Buckets];
    private readonly Lock _lock = new();
    private long _bucket;

    public RetryBudget(TimeProvider time, TimeSpan window, double ratio, int floor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _time = time;
        _bucketTicks = Math.Max(1, window.Ticks / Buckets);
        _ratio = ratio;
        _floor = floor;
        _bucket = Now();
    }

    /// <summary>Counts a request (each one the gateway receives, before its first attempt).</summary>
    public void Deposit()
    {
        lock (_lock)
        {
            _requests[Advance()]++;
        }
    }

    /// <summary>Takes one retry from the budget; false when the window's retries reached floor + ratio × requests.</summary>
    public bool TryWithdraw()
    {
        lock (_lock)
        {
            var slot = Advance();
            long requests = 0;
            long retries = 0;
            for (var i = 0; i < Buckets; i++)
            {
                requests += _requests[i];
                retries += _retries[i];
            }

            if (retries >= _floor + (_ratio * requests))
            {
                return false;
            }

            _retries[slot]++;
            return true;
        }
    }

    private long Now() => _time.GetUtcNow().UtcTicks / _bucketTicks;

    // Clears the buckets that the window left since the last call; returns the current one's slot.
    private int Advance()
    {
        var now = Now();
        for (var b = Math.Max(_bucket + 1, now - Buckets + 1); b <= now; b++)
        {
            var slot = (int)(b % Buckets);
            _requests[slot] = 0;
            _retries[slot] = 0;
        }

        _bucket = Math.Max(_bucket, now);
        return (int)(now % Buckets);
    }
}
