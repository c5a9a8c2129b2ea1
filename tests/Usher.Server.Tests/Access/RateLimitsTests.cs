using Microsoft.Extensions.Time.Testing;
using Usher.Server.Access;
using Usher.Server.Hosting;

namespace Usher.Server.Tests.Access;

/// <summary>The token buckets on fake time: the refill follows the injected clock, nothing else.</summary>
public sealed class RateLimitsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ABucket_GrantsItsBurst_ThenRefusesUntilTheClockRefillsIt()
    {
        // 2 a second in bursts of 3: one token every 500 ms.
        var limits = new RateLimits(new RateLimitOptions { PerKey = new RateLimitRule { Rate = 2, Burst = 3 } }, _time);

        Assert.Equal([true, true, true, false], Take(limits, "alice", null, 4));

        _time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(Granted(limits, "alice", null));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([true, false], Take(limits, "alice", null, 2));

        // Ten seconds idle refill at most the burst.
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([true, true, true, false], Take(limits, "alice", null, 4));
    }

    [Fact]
    public void ARefusal_SaysWhoWhatLimitAndWhenToRetry()
    {
        // 0.2 a second: one token every 5 s, so an empty bucket has a token again in 5 s.
        var limits = new RateLimits(new RateLimitOptions { PerKey = new RateLimitRule { Rate = 0.2, Burst = 1 } }, _time);
        Assert.Null(limits.TryAcquire("alice", "fraud"));

        var refused = limits.TryAcquire("alice", "fraud");

        Assert.NotNull(refused);
        Assert.Equal(AccessDenialKind.RateLimited, refused.Kind);
        Assert.Equal(5, refused.RetryAfterSeconds);
        Assert.Equal("rate limit: the key 'alice' may send 0.2 requests a second (bursts of 1); retry after 5 s", refused.Message);
    }

    [Fact]
    public void EachKey_HasItsOwnBucket_AndCallersWithoutAKeyShareOne()
    {
        var limits = new RateLimits(new RateLimitOptions { PerKey = new RateLimitRule { Rate = 1, Burst = 2 } }, _time);

        Assert.Equal([true, true, false], Take(limits, "alice", null, 3));
        Assert.Equal([true, true, false], Take(limits, "bob", "fraud", 3));
        Assert.Equal([true, true, false], Take(limits, string.Empty, null, 3));
    }

    [Fact]
    public void AnEndpointsRule_ReplacesThePerKeyRuleThere_InABucketOfItsOwn()
    {
        var options = new RateLimitOptions
        {
            PerKey = new RateLimitRule { Rate = 100, Burst = 5 },
            Endpoints = { ["fraud"] = new RateLimitRule { Rate = 1, Burst = 1 } },
        };
        var limits = new RateLimits(options, _time);

        Assert.Equal([true, false], Take(limits, "alice", "fraud", 2));
        Assert.Equal([true, true, true, true, true, false], Take(limits, "alice", "iris", 6));
        Assert.Equal([true, false], Take(limits, "bob", "fraud", 2));
        Assert.Contains("to 'fraud'", limits.TryAcquire("alice", "fraud")!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheGlobalBucket_IsShared_AndACallerOverItsOwnLimitSpendsNoneOfIt()
    {
        var options = new RateLimitOptions
        {
            Global = new RateLimitRule { Rate = 1, Burst = 2 },
            PerKey = new RateLimitRule { Rate = 1, Burst = 1 },
        };
        var limits = new RateLimits(options, _time);

        Assert.Equal([true, false, false, false, false], Take(limits, "alice", null, 5));
        Assert.True(Granted(limits, "bob", null));
        var refused = limits.TryAcquire("carol", null);

        Assert.NotNull(refused);
        Assert.StartsWith("rate limit: the server may send 1 requests a second (bursts of 2)", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(15, 1000, 15)]
    [InlineData(0.5, 4000, 2)]
    [InlineData(0.1, 10_000, 1)]
    [InlineData(1234, 250, 308)]
    public void AnEmptyBucket_RefillsAtExactlyItsRate(double rate, int elapsedMs, int expected)
    {
        // expected = floor(rate × elapsed), worked out by hand: 15 × 1 s, 0.5 × 4 s, 0.1 × 10 s, 1234 × 0.25 s = 308.5.
        var limits = new RateLimits(new RateLimitOptions { PerKey = new RateLimitRule { Rate = rate, Burst = 10_000 } }, _time);
        while (Granted(limits, "alice", null))
        {
        }

        _time.Advance(TimeSpan.FromMilliseconds(elapsedMs));

        Assert.Equal(expected, Take(limits, "alice", null, expected + 1).Count(granted => granted));
    }

    private static bool Granted(RateLimits limits, string caller, string? endpoint) => limits.TryAcquire(caller, endpoint) is null;

    private static bool[] Take(RateLimits limits, string caller, string? endpoint, int count)
        => [.. Enumerable.Range(0, count).Select(_ => Granted(limits, caller, endpoint))];
}
