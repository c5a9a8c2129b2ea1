using System.Collections.Concurrent;
using System.Globalization;
using Usher.Server.Hosting;

namespace Usher.Server.Access;

/// <summary>
/// The token buckets (<see cref="TokenBucket"/>) of <c>server.rate_limits</c>: one global bucket, and one per caller (an API key's
/// name; every caller without a key shares one) and per endpoint with a rule of its own. A request
/// takes its caller's token first and the global one after, so a caller that is over its own limit
/// never spends the tokens everyone shares. Buckets exist only for names the configuration or the
/// keys file gives, so their number is bounded.
/// </summary>
internal sealed class RateLimits
{
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenBucket? _global;
    private readonly ConcurrentDictionary<(string Caller, string? Endpoint), TokenBucket> _buckets = new();

    public RateLimits(RateLimitOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _global = options.Global is { } global ? new TokenBucket(global, time) : null;
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
            var bucket = _buckets.GetOrAdd((caller, scope), static (_, state) => new TokenBucket(state.Rule, state.Time), (Rule: rule, Time: _time));
            if (Refuse(bucket, rule, caller.Length == 0 ? "callers without an API key" : $"the key '{caller}'", scope) is { } refused)
            {
                return refused;
            }
        }

        return _global is not null ? Refuse(_global, _options.Global!, "the server", null) : null;
    }

    private static AccessDenial? Refuse(TokenBucket bucket, RateLimitRule rule, string who, string? endpoint)
    {
        if (bucket.TryTake() is not { } wait)
        {
            return null;
        }

        var seconds = (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds - 1e-9), 1, int.MaxValue);
        var where = endpoint is null ? string.Empty : $" to '{endpoint}'";
        var message = string.Create(CultureInfo.InvariantCulture, $"rate limit: {who} may send {rule.Rate:0.###} requests a second{where} (bursts of {rule.Capacity}); retry after {seconds} s");
        return new AccessDenial(AccessDenialKind.RateLimited, message, seconds);
    }
}
