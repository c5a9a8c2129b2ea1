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
