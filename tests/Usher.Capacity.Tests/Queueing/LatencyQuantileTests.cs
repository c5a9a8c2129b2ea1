using Usher.Capacity.Queueing;

namespace Usher.Capacity.Tests.Queueing;

public sealed class LatencyQuantileTests
{
    [Fact]
    public void OneState_IsItsOwnQuantile()
    {
        // M/M/1 at mu 100, lambda 80: p99 of Exp(20) = ln(100) / 20 = 230.26 ms.
        var q = new ReplicaQueue(1, 100, ServiceTimes.Exponential);
        var p99 = LatencyQuantile.Of([new QueueState(q, 80, 0, 80)], 0.99);
        Assert.Equal(Math.Log(100) / 20, p99, 6);
    }

    [Fact]
    public void Mixture_WeightsByArrivals()
    {
        // Deterministic, no waiting (lambda 0 -> C = 0): latency is exactly 10 ms plus the delay.
        // 98 arrivals with no delay and 2 with a 1 s delay: 2% are slower than 1 s, so p99 = 1.01 s;
        // with 99.5 and 0.5, only 0.5% are, so p99 is 10 ms.
        var q = new ReplicaQueue(1, 100, ServiceTimes.Deterministic);
        Assert.Equal(1.01, LatencyQuantile.Of([new QueueState(q, 0, 0, 98), new QueueState(q, 0, 1, 2)], 0.99), 6);
        Assert.Equal(0.01, LatencyQuantile.Of([new QueueState(q, 0, 0, 99.5), new QueueState(q, 0, 1, 0.5)], 0.99), 6);
    }

    [Fact]
    public void NoArrivals_IsNaN()
    {
        var q = new ReplicaQueue(1, 100, ServiceTimes.Deterministic);
        Assert.True(double.IsNaN(LatencyQuantile.Of([new QueueState(q, 0, 0, 0)], 0.99)));
    }
}
