using System.Threading.RateLimiting;
using Usher.Server.Hosting;

namespace Usher.Server.Access;

/// <summary>
/// The buckets of one <see cref="RateLimitRule"/> and the timer, on the injected clock, that refills
/// them. System.Threading.RateLimiting's own refill runs on the machine's clock; with
/// <c>AutoReplenishment = false</c> each <c>TryReplenish</c> adds one period's tokens, so the timer
/// here, on a <see cref="TimeProvider"/>, is the bucket's clock, and tests drive it with fake time.
/// </summary>
internal sealed class TokenRefill : IDisposable
{
    private readonly RateLimitRule _rule;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private TokenBucketRateLimiter[] _buckets = [];

    public TokenRefill(RateLimitRule rule, TimeProvider time)
    {
        _rule = rule;

        // A whole number of tokens per period, and periods no shorter than about 100 ms, so that a fast
        // rate costs ten timer calls a second and a slow one is still exact (0.5/s: 1 token every 2 s).
        TokensPerPeriod = (int)Math.Max(1, Math.Floor(rule.Rate / 10));
        Period = TimeSpan.FromSeconds(TokensPerPeriod / rule.Rate);
        _timer = time.CreateTimer(_ => Refill(), null, Period, Period);
    }

    /// <summary>Tokens each period adds.</summary>
    public int TokensPerPeriod { get; }

    /// <summary>How often tokens are added.</summary>
    public TimeSpan Period { get; }

    /// <summary>A new full bucket of this rule, refilled from now on.</summary>
    public TokenBucketRateLimiter NewBucket()
    {
        var bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _rule.Capacity,
            TokensPerPeriod = TokensPerPeriod,
            ReplenishmentPeriod = Period,
            AutoReplenishment = false,
            QueueLimit = 0,
        });
        lock (_lock)
        {
            _buckets = [.. _buckets, bucket];
        }

        return bucket;
    }

    private void Refill()
    {
        foreach (var bucket in Volatile.Read(ref _buckets))
        {
            bucket.TryReplenish();
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        foreach (var bucket in _buckets)
        {
            bucket.Dispose();
        }
    }
}
