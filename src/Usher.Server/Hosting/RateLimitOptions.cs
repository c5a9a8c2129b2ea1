namespace Usher.Server.Hosting;

/// <summary>
/// Rate limits on inference and metadata requests (section <c>server.rate_limits</c>), token buckets on
/// the injected clock. A request takes a token from its caller's bucket (per API key; every
/// caller without a key shares one) and from the global bucket; without a token it is answered 429 with
/// <c>Retry-After</c> (gRPC: RESOURCE_EXHAUSTED with a <c>retry-after</c> trailer). Default: no limits.
/// </summary>
internal sealed class RateLimitOptions
{
    /// <summary>One bucket shared by every request; default none.</summary>
    public RateLimitRule? Global { get; set; }

    /// <summary>Each caller's bucket (one per API key name); default none.</summary>
    public RateLimitRule? PerKey { get; set; }

    /// <summary>Per endpoint (the model name a request calls), each caller's bucket on that endpoint, in place of <see cref="PerKey"/>.</summary>
    public Dictionary<string, RateLimitRule> Endpoints { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Whether any limit is set.</summary>
    internal bool Any => Global is not null || PerKey is not null || Endpoints.Count > 0;
}
