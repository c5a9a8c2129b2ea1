using Usher.Capacity.Queueing;

namespace Usher.Capacity.Tests.Queueing;

// The worked example of the reference notes (scale.md, section 7), computed there independently:
// 20 ms service (mu = 50/s), lambda = 400/s, a = 8.
public sealed class ReplicaQueueTests
{
    [Theory]
    [InlineData(9, 0.653, 13.1, 83.6, 6.5)]
    [InlineData(10, 0.409, 4.1, 37.1, 2.0)]
    [InlineData(11, 0.245, 1.6, 21.3, 0.8)]
    [InlineData(12, 0.140, 0.7, 13.2, 0.35)]
    public void MatchesTheWorkedExample(int servers, double waitProbability, double wqMs, double p99WaitMs, double mdcWqMs)
    {
        var mmc = new ReplicaQueue(servers, 50, ServiceTimes.Exponential);
        Assert.Equal(waitProbability, mmc.WaitProbability(400), 3);
        Assert.Equal(wqMs, mmc.MeanWait(400) * 1000, 1);
        Assert.Equal(p99WaitMs, mmc.WaitQuantile(400, 0.99) * 1000, 1);

        var mdc = mmc with { Service = ServiceTimes.Deterministic };
        Assert.Equal(waitProbability, mdc.WaitProbability(400), 3);
        Assert.InRange(mdc.MeanWait(400) * 1000, mdcWqMs - 0.06, mdcWqMs + 0.06);
    }

    [Fact]
    public void SingleServer_IsMM1()
    {
        // M/M/1: P(wait) = rho, Wq = rho / (mu - lambda), Lq = rho^2 / (1 - rho). mu = 100, lambda = 80.
        var q = new ReplicaQueue(1, 100, ServiceTimes.Exponential);
        Assert.Equal(0.8, q.WaitProbability(80), 9);
        Assert.Equal(0.8 / 20, q.MeanWait(80), 9);
        Assert.Equal(0.64 / 0.2, q.MeanQueueLength(80), 9);
    }

    [Fact]
    public void LatencyTail_MM1_IsExponentialInTheSojourn()
    {
        // M/M/1 sojourn time is Exp(mu - lambda): P(T > t) = e^{-(mu - lambda) t}.
        var q = new ReplicaQueue(1, 100, ServiceTimes.Exponential);
        foreach (var t in new[] { 0.001, 0.01, 0.05, 0.2 })
        {
            Assert.Equal(Math.Exp(-20 * t), q.LatencyTail(80, 0, t), 9);
        }
    }

    [Fact]
    public void LatencyTail_Deterministic_IsServiceTimePlusWait()
    {
        // M/D/c here: latency = 1/mu + wait, wait tail C e^{-2 (c mu - lambda) t}.
        var q = new ReplicaQueue(10, 50, ServiceTimes.Deterministic);
        var c = q.WaitProbability(400);
        Assert.Equal(1, q.LatencyTail(400, 0, 0.019));
        Assert.Equal(c * Math.Exp(-200 * 0.01), q.LatencyTail(400, 0, 0.03), 9);

        // A backlog's delay shifts it.
        Assert.Equal(c * Math.Exp(-200 * 0.01), q.LatencyTail(400, 0.5, 0.53), 9);
    }

    [Fact]
    public void AtOrPastSaturation_EveryoneWaits()
    {
        var q = new ReplicaQueue(2, 50, ServiceTimes.Deterministic);
        Assert.Equal(1, q.WaitProbability(100));
        Assert.True(double.IsPositiveInfinity(q.MeanWait(120)));
    }
}
