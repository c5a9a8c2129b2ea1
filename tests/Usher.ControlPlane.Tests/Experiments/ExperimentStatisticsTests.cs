using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Tests.Analysis;

namespace Usher.ControlPlane.Tests.Experiments;

/// <summary>The experiment statistics against statistics.md's vectors and independent computations.</summary>
public sealed class ExperimentStatisticsTests
{
    private static readonly ExperimentSpec Binary = new() { Variants = [new(1, 50), new(2, 50)], MinSamples = 100 };

    private static ExperimentReport Analyze(ExperimentSpec spec, params ArmTotals[] arms)
        => ExperimentAnalysis.Analyze(spec, 1, arms, spec.Variants.ToDictionary(v => v.Version, v => v.Weight));

    [Fact]
    public void BinaryArms_ReportTheZTest_OfVectorT1()
    {
        // T1: 200/2000 vs 250/2000 → z = 2.501955, p = 0.012351, 95% CI [0.005431, 0.044569].
        var report = Analyze(Binary, new ArmTotals(1, 2000, 200, 200, 200), new ArmTotals(2, 2000, 250, 250, 250));

        var c = report.Arms[1].Comparison!;
        Approx.Equal(0.012351, c.PValue, 5e-7);
        Approx.Equal(0.005431, c.AbsoluteCiLower, 5e-7);
        Approx.Equal(0.044569, c.AbsoluteCiUpper, 5e-7);
        Approx.Equal(0.025, c.AbsoluteLift, 1e-12);
    }

    [Fact]
    public void ContinuousArms_ReportWelch_OfVectorT2_FromRunningTotals()
    {
        double[] a = [12.1, 11.8, 13.4, 12.9, 12.2, 11.5, 12.7, 13.0];
        double[] b = [13.2, 12.8, 14.1, 13.9, 12.6, 13.7, 14.4, 13.1, 12.9, 14.0];
        var spec = Binary with { Kind = OutcomeKind.Continuous, MinSamples = 2 };

        var report = Analyze(spec, Totals(1, a), Totals(2, b));

        // T2: SE 0.303869, ν 14.83825, t 3.356707, p 0.0043817, 95% CI [0.371703, 1.668297].
        var c = report.Arms[1].Comparison!;
        Approx.Equal(1.02, c.AbsoluteLift, 1e-9);
        Approx.Equal(0.0043817, c.PValue, 5e-8);
        Approx.Equal(0.371703, c.AbsoluteCiLower, 5e-7);
        Approx.Equal(1.668297, c.AbsoluteCiUpper, 5e-7);
        var welch = WelchTTest.Test(12.45, 0.425714285714, 8, 13.47, 0.391222222222, 10);
        Approx.Equal(14.83825, welch.DegreesOfFreedom, 5e-6);
        Approx.Equal(3.356707, welch.T, 5e-6);
    }

    [Fact]
    public void RelativeLift_FollowsTheDeltaMethod()
    {
        // Computed by hand from §3a: Δ = 0.125/0.1 − 1 = 0.25, σ²_Δ = 1.5625·(0.09/(2000·0.01) + 0.109375/(2000·0.015625)) = 0.0125.
        var (lift, se) = RelativeLift.Compute(0.1, 0.09, 2000, 0.125, 0.109375, 2000);

        Approx.Equal(0.25, lift, 1e-12);
        Approx.Equal(0.11180339887498947, se, 1e-12);
    }

    [Theory]
    [InlineData(1000, 0.1, 13.358298441449836)]
    [InlineData(4000, 0.05, 27.725465601177255)]
    [InlineData(400, 0.3, 849.2150239337254)]
    public void ConfidenceSequence_PValue_IsOneOverJoharisMixtureLikelihoodRatio(long n, double mean, double lambda)
    {
        // Λ_n = sqrt(σ²/(σ²+nτ²))·exp(n²τ²ȳ²/(2σ²(σ²+nτ²))) with σ = 1 and τ² = ρ²σ², computed separately (Python).
        var result = ConfidenceSequence.Compute(mean, 1 / Math.Sqrt(n), n, 0.05);

        Approx.Relative(1 / lambda, result.PValue, 1e-9);
    }

    [Fact]
    public void ConfidenceSequence_RejectsExactlyWhenZeroLeavesTheInterval()
    {
        var se = 0.01;
        var edge = ConfidenceSequence.Compute(0, se, 3000, 0.05);
        var half = edge.Upper;

        Approx.Relative(0.05, ConfidenceSequence.Compute(half, se, 3000, 0.05).PValue, 1e-9);
        Assert.True(ConfidenceSequence.Compute(half * 0.99, se, 3000, 0.05).PValue > 0.05);
        Assert.True(ConfidenceSequence.Compute(half * 1.01, se, 3000, 0.05).PValue < 0.05);

        // It is wider than the fixed-horizon interval: that is the price of looking at any time.
        Assert.True(half > 1.96 * se);
    }

    [Fact]
    public void Srm_AtVectorT10_IsNotFlagged_AtP0001()
    {
        var report = Analyze(Binary, new ArmTotals(1, 50500, 0, 0, 0), new ArmTotals(2, 49500, 0, 0, 0));

        Approx.Equal(10.0, report.Srm!.ChiSquare, 1e-9);
        Approx.Equal(0.0015654, report.Srm.PValue, 5e-8);
        Assert.False(report.Srm.Flagged);
    }

    [Fact]
    public void Srm_AtVectorT11_IsNotFlagged()
    {
        var report = Analyze(Binary, new ArmTotals(1, 5020, 0, 0, 0), new ArmTotals(2, 4980, 0, 0, 0));

        Approx.Equal(0.16, report.Srm!.ChiSquare, 1e-9);
        Approx.Equal(0.68916, report.Srm.PValue, 5e-6);
        Assert.False(report.Srm.Flagged);
    }

    [Fact]
    public void Srm_Flagged_WithholdsEveryVerdict_AndSaysWhy()
    {
        // 51000 vs 49000: χ² = 40, p ≈ 2.5e-10; the arms' rates differ a lot, but nothing may be concluded.
        var report = Analyze(Binary, new ArmTotals(1, 51000, 5100, 5100, 5100), new ArmTotals(2, 49000, 7350, 7350, 7350));

        Assert.True(report.Srm!.Flagged);
        Assert.Equal("not yet", report.Decision);
        Assert.Null(report.Winner);
        Assert.Contains("sample ratio mismatch", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_GivesVectorT6()
    {
        var (perArm, problem) = ExperimentPlan.ForProportions(0.10, 0.02);

        Assert.Null(problem);
        Assert.Equal(3839, perArm);
    }

    [Fact]
    public void Plan_OutOfRange_SaysWhichFlag()
    {
        Assert.Contains("--mde", ExperimentPlan.ForProportions(0.99, 0.02).Problem, StringComparison.Ordinal);
        Assert.Contains("--baseline", ExperimentPlan.ForProportions(1.5, 0.02).Problem, StringComparison.Ordinal);
    }

    private static ArmTotals Totals(long version, double[] values)
        => new(version, values.Length, values.Length, values.Sum(), values.Sum(v => v * v));
}
