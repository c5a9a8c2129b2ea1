namespace Usher.Server.Hosting;

/// <summary>One token bucket: <see cref="Rate"/> requests a second on average, bursts of up to <see cref="Burst"/>.</summary>
internal sealed class RateLimitRule
{
    /// <summary>Requests per second the bucket refills with; required, above 0 (0.5 = one request every 2 s).</summary>
    public double Rate { get; set; }

    /// <summary>The bucket's size: the most requests accepted at once after a quiet spell; default the rate rounded up (at least 1).</summary>
    public int Burst { get; set; }

    /// <summary>The bucket's size in force: <see cref="Burst"/>, or the rate rounded up when it is not set.</summary>
    internal int Capacity => Burst > 0 ? Burst : (int)Math.Max(1, Math.Ceiling(Rate));
}
