using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Shadow;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Shadow;

public sealed class ShadowComparisonTests
{
    private static readonly ShadowTarget Target = new("m", 2, 100, 10);

    [Fact]
    public void ScoresWithoutLabels_AgreeWithinTheTolerance_AndAFailedShadowCountsAsADisagreement()
    {
        var comparison = new ShadowComparison(DateTimeOffset.UnixEpoch, tolerance: 0.01);
        double[] primary = [0.10, 0.50, 0.90, 0.30];
        double[] shadow = [0.105, 0.52, 0.90, 0.10];
        for (var i = 0; i < primary.Length; i++)
        {
            comparison.Add(Pair(Scores(primary[i]), Scores(shadow[i]), primaryMs: i + 1, shadowMs: 2 * (i + 1)));
        }

        comparison.Add(Pair(Scores(0.4), null, primaryMs: 5, shadowMs: 10));
        var report = comparison.Report();

        Assert.Equal(("score", 5L, 1L), (report.Basis, report.Pairs, report.ShadowErrors));
        Assert.Equal((5L, 2L), (report.Compared, report.Agreed)); // |diff| 0.005 and 0 agree; 0.02, 0.2 and the failure do not
        Assert.Equal((0.005 + 0.02 + 0 + 0.2) / 4, report.MeanAbsDifference, 6);
        Assert.Equal(0.2, report.MaxAbsDifference, 6);
        Assert.Equal((3.0, 4.96), report.PrimaryLatencyMs); // numpy: percentile([1,2,3,4,5], [50, 99])
        Assert.Equal((6.0, 9.92), report.ShadowLatencyMs);
        Assert.Equal(3, report.Disagreements.Count); // 0.5→0.52, 0.3→0.1, the failure
        Assert.Equal("boom", report.Disagreements[^1].Error);
    }

    [Fact]
    public void Report_OverMoreThanItsSamples_ComparesTheLastSamplesOfEachSide()
    {
        // The first pairs fall out of the sample windows: their scores and latencies stand far from
        // the rest, so a report that read them would be far off. Scores travel as FP32.
        const int Evicted = 700;
        var comparison = new ShadowComparison(DateTimeOffset.UnixEpoch, tolerance: 0.01);
        var primaryScores = new List<double>();
        var shadowScores = new List<double>();
        var primaryLatency = new List<double>();
        var shadowLatency = new List<double>();
        double sumAbs = 0, maxAbs = 0;
        for (var k = 0; k < ShadowComparison.MaxSamples + Evicted; k++)
        {
            var old = k < Evicted;
            var primary = (double)(float)(old ? 5 + (k % 3) : (k * 7919 % 10007) / 10007.0);
            var shadow = (double)(float)(old ? -5 : (0.9 * primary) + (0.05 * (k * 31 % 17) / 17));
            var (primaryMs, shadowMs) = old ? (1000.0 + k, 2000.0) : (1 + (k * 37 % 1000 / 100.0), 2 + (k * 53 % 1500 / 100.0));
            comparison.Add(Pair(Scores(primary), Scores(shadow), primaryMs, shadowMs));
            sumAbs += Math.Abs(primary - shadow);
            maxAbs = Math.Max(maxAbs, Math.Abs(primary - shadow));
            if (!old)
            {
                primaryScores.Add(primary);
                shadowScores.Add(shadow);
                primaryLatency.Add(primaryMs);
                shadowLatency.Add(shadowMs);
            }
        }

        var report = comparison.Report();

        // Every pair counts in the totals; the windows hold the last MaxSamples of each side, and the
        // statistics of those windows are what their own tests check against scipy and numpy.
        Assert.Equal((ShadowComparison.MaxSamples + Evicted, ShadowComparison.MaxSamples + Evicted), (report.Pairs, report.ScoreRows));
        Assert.Equal(sumAbs / (ShadowComparison.MaxSamples + Evicted), report.MeanAbsDifference, 12);
        Assert.Equal(maxAbs, report.MaxAbsDifference);
        Assert.Equal(ShadowComparison.MaxSamples, report.LatencySamples);
        Assert.Equal((Percentile.Of(primaryLatency, 50), Percentile.Of(primaryLatency, 99)), report.PrimaryLatencyMs);
        Assert.Equal((Percentile.Of(shadowLatency, 50), Percentile.Of(shadowLatency, 99)), report.ShadowLatencyMs);
        var ks = KolmogorovSmirnov.Test(primaryScores, shadowScores);
        Assert.Equal((ks.D, ks.PValue), report.KolmogorovSmirnov);
        Assert.Equal(PopulationStabilityIndex.FromSamples(primaryScores, shadowScores), report.Psi);
        Assert.InRange(report.KolmogorovSmirnov!.Value.D, 0.01, 0.5); // the windows differ, and not by the evicted pairs' 10
    }

    [Fact]
    public void Report_AllocatesWhatItReturns_NotCopiesOfItsSamples()
    {
        var comparison = new ShadowComparison(DateTimeOffset.UnixEpoch, tolerance: 0.01);
        for (var k = 0; k < ShadowComparison.MaxSamples; k++)
        {
            var score = (k * 7919 % 10007) / 10007.0;
            comparison.Add(Pair(Scores(score), Scores(score * 0.9), primaryMs: 1 + (k % 100), shadowMs: 2 + (k % 50)));
        }

        comparison.Report();
        var before = GC.GetAllocatedBytesForCurrentThread();
        comparison.Report();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // One copy of one side's samples is MaxSamples doubles (160 KB); the report itself is a few KB.
        Assert.InRange(allocated, 0, 16 * 1024);
    }

    [Fact]
    public void Gate_WaitsForSamples_ThenNeedsBothAgreementAndLatency()
    {
        var comparison = new ShadowComparison(DateTimeOffset.UnixEpoch, tolerance: 0.01);
        for (var i = 0; i < 10; i++)
        {
            comparison.Add(Pair(Scores(0.5), Scores(i == 0 ? 0.9 : 0.5), primaryMs: 1, shadowMs: i == 9 ? 3 : 1));
        }

        var report = comparison.Report();

        Assert.False(ShadowGate.Evaluate(new ShadowGateSpec(0.5, 10, MinSamples: 11), report).Passed);
        Assert.True(ShadowGate.Evaluate(new ShadowGateSpec(0.9, 10, MinSamples: 10), report).Passed);
        Assert.False(ShadowGate.Evaluate(new ShadowGateSpec(0.91, 10, MinSamples: 10), report).Passed);
        // Shadow p99 = 1 + 0.91·(3 − 1) = 2.82 ms against the primary's 1 ms.
        Assert.False(ShadowGate.Evaluate(new ShadowGateSpec(0.9, 2.8, MinSamples: 10), report).Passed);
        Assert.True(ShadowGate.Evaluate(new ShadowGateSpec(0.9, 2.83, MinSamples: 10), report).Passed);
    }

    private static InferenceResponse Scores(double score) => new()
    {
        ModelName = "m",
        ModelVersion = 1,
        Outputs = [Tensor.FromSpan<float>("score", DataType.Fp32, [1], [(float)score])],
    };

    private static ShadowPair Pair(InferenceResponse primary, InferenceResponse? shadow, double primaryMs, double shadowMs) => new(
        "m",
        "m:1",
        Target,
        DateTimeOffset.UnixEpoch,
        new InferenceRequest { ModelName = "m", Inputs = [Tensor.FromSpan<float>("x", DataType.Fp32, [1, 1], [1f])] },
        primary,
        primaryMs,
        shadow,
        shadow is null ? InferenceError.Unavailable("boom") : null,
        shadowMs);
}
