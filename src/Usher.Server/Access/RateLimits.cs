using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using Usher.Server.Hosting;

namespace Usher.Server.Access;

/// <summary>
/// The token buckets of <c>server.rate_limits</c>: one global bucket, and one per caller (an API key's
/// name; every caller without a key shares one) and per endpoint with a rule of its own. A request
/// takes its caller's token first and the global one after, so a caller that is over its own limit
/// never spends the tokens everyone shares. Buckets exist only for names the configuration or the
/// keys file gives, so their number is bounded.
/// </summary>
internal sealed class RateLimits : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenBucketRateLimiter? _global;
    private readonly ConcurrentDictionary<RateLimitRule, TokenRefill> _refills = new();
    private readonly ConcurrentDictionary<(string Caller, string? Endpoint), TokenBucketRateLimiter> _buckets = new();

    public RateLimits(RateLimitOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _global = options.Global is { } global ? Refill(global).NewBucket() : null;
    }

    /// <summary>
    /// Takes a token for one request of <paramref name="caller"/> (a key's name, or empty without one)
    /// to <paramref name="endpoint"/> (null for a server-wide call: server metadata, the index);
    /// null when the request may go on, else the refusal.
    /// </summary>
    public AccessDenial? TryAcquire(string caller, string? endpoint)
    {
        var rule = endpoint is not null && _options.Endpoints.TryGetValue(endpoint, out var own) ? own : _options.PerKey;
        if (rule is not null)
        {
            var scope = ReferenceEquals(rule, _options.PerKey) ? null : endpoint;
            var bucket = _buckets.GetOrAdd((caller, scope), static (_, state) => state.Self.Refill(state.Rule).NewBucket(), (Self: this, Rule: rule));
            if (Refuse(bucket, rule, caller.Length == 0 ? "callers without an API key" : $"the key '{caller}'", scope) is { } refused)
            {
                return refused;
            }
        }

        return _global is not null ? Refuse(_global, _options.Global!, "the server", null) : null;
    }

    private static AccessDenial? Refuse(TokenBucketRateLimiter bucket, RateLimitRule rule, string who, string? endpoint)
    {
        using var lease = bucket.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return null;
        }

        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1 / rule.Rate);
        var seconds = (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);
        var where = endpoint is null ? string.Empty : $" to '{endpoint}'";
        var message = string.Create(CultureInfo.InvariantCulture, $"rate limit: {who} may send {rule.Rate:0.###} requests a second{where} (bursts of {rule.Capacity}); retry after {seconds} s");
        return new AccessDenial(AccessDenialKind.RateLimited, message, seconds);
    }

    private TokenRefill Refill(RateLimitRule rule) => _refills.GetOrAdd(rule, static (r, time) => new TokenRefill(r, time), _time);

    public void Dispose()
    {
        foreach (var refill in _refills.Values)
        {
            refill.Dispose();
        }
    }
}
