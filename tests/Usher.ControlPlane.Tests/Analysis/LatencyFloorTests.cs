using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class LatencyFloorTests
{
    private static VariantSample Latencies(double ms) => new(300, 0, [.. Enumerable.Range(0, 300).Select(i => ms * (0.9 + (i % 10 / 50.0)))], [], []);

    [Fact]
    public void TwiceAsSlow_ButUnderAMillisecondSlower_Passes_SayingWhy()
    {
        var check = CanaryAnalysis.Compare(Latencies(0.1), Latencies(0.2), new AnalysisSettings()).Checks.Single(c => c.Name == "latency");

        Assert.True(check.Statistics["p50_ratio"] > 1.9);
        Assert.True(check.Statistics["p"] < 0.01);
        Assert.Equal(CheckOutcome.Pass, check.Outcome);
        Assert.Contains("slower by less than 1", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TwiceAsSlow_AndMillisecondsSlower_Fails_AndAZeroFloorFailsTheSubMillisecondCase()
    {
        Assert.Equal(CheckOutcome.Fail, CanaryAnalysis.Compare(Latencies(5), Latencies(10), new AnalysisSettings()).Checks.Single(c => c.Name == "latency").Outcome);
        Assert.Equal(CheckOutcome.Fail, CanaryAnalysis.Compare(Latencies(0.1), Latencies(0.2), new AnalysisSettings { MinLatencyDeltaMs = 0 }).Checks.Single(c => c.Name == "latency").Outcome);
    }
}

public sealed class LatencyTailTests
{
    private static VariantSample Sample(int n, Func<int, double> ms) => new(n, 0, [.. Enumerable.Range(0, n).Select(ms)], [], []);

    [Fact]
    public void TwoSlowRequestsInAHundred_AreNotATailRegression()
    {
        // Two of 100 make the canary's p99 12 ms (×6), but P(X >= 2) for Binomial(100, 0.01) = 0.26.
        var stable = Sample(2000, i => 1 + (i % 100 / 100.0));
        var canary = Sample(100, i => i is 30 or 60 ? 12 : 1 + (i % 100 / 200.0));

        var check = CanaryAnalysis.Compare(stable, canary, new AnalysisSettings()).Checks.Single(c => c.Name == "latency");

        Assert.True(check.Statistics["p99_ratio"] > 1.5);
        Assert.Equal(2, check.Statistics["canary_over_stable_p99"]);
        Assert.Equal(0.2642, check.Statistics["tail_p"], 3);
        Assert.Equal(CheckOutcome.Pass, check.Outcome);
    }

    [Fact]
    public void TenPercentOfRequestsSlow_IsATailRegression_WithTheBinomialP()
    {
        var stable = Sample(2000, i => 1 + (i % 100 / 100.0));
        var canary = Sample(200, i => i % 10 == 0 ? 12 : 1 + (i % 100 / 100.0));

        var check = CanaryAnalysis.Compare(stable, canary, new AnalysisSettings()).Checks.Single(c => c.Name == "latency");

        // P(X >= 20) for Binomial(200, 0.01) is about 1e-10: far below α.
        Assert.True(check.Statistics["canary_over_stable_p99"] >= 20);
        Assert.True(check.Statistics["tail_p"] < 1e-8);
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        Assert.Contains("p99 over the limit and significantly slower", check.Detail, StringComparison.Ordinal);
    }
}
