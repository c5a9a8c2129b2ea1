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
