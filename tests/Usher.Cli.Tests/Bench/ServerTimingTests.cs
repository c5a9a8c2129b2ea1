using System.Net.Http.Headers;
using Usher.Cli.Bench;

namespace Usher.Cli.Tests.Bench;

public sealed class ServerTimingTests
{
    [Fact]
    public void Read_QueueComputeTotal_OverheadIsTheRest()
    {
        var split = ServerTiming.Read(Headers("queue;dur=0.012, compute;dur=0.841, total;dur=0.903"));

        Assert.NotNull(split);
        Assert.Equal(0.012, split.Value.QueueMs, 9);
        Assert.Equal(0.841, split.Value.ComputeMs, 9);
        Assert.Equal(0.903 - 0.012 - 0.841, split.Value.OverheadMs, 9);
        Assert.False(split.Value.CacheHit);
    }

    [Fact]
    public void Read_CacheHit_IsFlagged()
    {
        var split = ServerTiming.Read(Headers("queue;dur=0, compute;dur=0, total;dur=0.006, cache;desc=\"hit\""));

        Assert.True(split!.Value.CacheHit);
        Assert.Equal(0.006, split.Value.OverheadMs, 9);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("queue;dur=0.1, compute;dur=0.2")]
    [InlineData("db;dur=53, app;dur=47.2")]
    public void Read_WithoutATotal_IsNull(string? value)
        => Assert.Null(ServerTiming.Read(Headers(value)));

    private static HttpResponseHeaders Headers(string? serverTiming)
    {
        using var response = new HttpResponseMessage();
        if (serverTiming is not null)
        {
            response.Headers.TryAddWithoutValidation("Server-Timing", serverTiming);
        }

        return response.Headers;
    }
}
