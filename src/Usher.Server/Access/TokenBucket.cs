using Usher.Server.Hosting;

namespace Usher.Server.Access;

/// <summary>
/// A token bucket on the injected clock: it holds up to <see cref="RateLimitRule.Capacity"/> tokens and
/// refills at <see cref="RateLimitRule.Rate"/> a second, counted lazily from the time of the last take,
/// so it needs no timer and tests drive it with fake time. System.Threading.RateLimiting's
/// <c>TokenBucketRateLimiter</c> cannot take a <see cref="TimeProvider"/>: its automatic refill runs
/// on a timer of its own, and its manual <c>TryReplenish</c> measures the elapsed time on the
/// machine's stopwatch, so neither can be driven deterministically.
/// </summary>
internal sealed class TokenBucket
{
    // Tokens that floating-point sums may miss by (0.1 + 0.2 a second after 10 s is 2.9999999999999996).
    private const double Tolerance = 1e-9;

    private readonly RateLimitRule _rule;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _updated;

    public TokenBucket(RateLimitRule rule, TimeProvider time)
    {
        _rule = rule;
        _time = time;
        _tokens = rule.Capacity;
        _updated = time.GetTimestamp();
    }

    /// <summary>Takes one token: null when taken, else how long until one is back.</summary>
    public TimeSpan? TryTake()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_rule.Capacity, _tokens + (_time.GetElapsedTime(_updated, now).TotalSeconds * _rule.Rate));
            _updated = now;
            if (_tokens >= 1 - Tolerance)
            {
                _tokens = Math.Max(0, _tokens - 1);
                return null;
            }

            return TimeSpan.FromSeconds((1 - _tokens) / _rule.Rate);
        }
    }
}
