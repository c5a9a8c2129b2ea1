using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class PredictionDriftNoiseTests
{
    // Stable: 100 scores evenly over [0, 1). Canary: alternately 5 and 15 scores in each tenth, so
    // PSI ≈ 5·(0.05·ln 2 + 0.05·ln 1.5) = 0.27 (a little less: stable's interpolated deciles sit just
    // above each tenth) while the CDFs never differ by more than 0.05.
    private static (double[] Stable, double[] Canary) Alternating()
    {
        var stable = Enumerable.Range(0, 100).Select(i => (i + 0.5) / 100).ToArray();
        var canary = Enumerable.Range(0, 10)
            .SelectMany(bin => Enumerable.Range(0, bin % 2 == 0 ? 5 : 15).Select(j => (bin + ((j + 0.5) / (bin % 2 == 0 ? 5 : 15))) / 10))
            .ToArray();
        return (stable, canary);
    }

    [Fact]
    public void PsiOverTheLimit_ButNotSignificant_Passes_SayingItIsNoise()
    {
        var (stable, canary) = Alternating();
        var report = CanaryAnalysis.Compare(
            new VariantSample(100, 0, [], stable, []),
            new VariantSample(100, 0, [], canary, []),
            new AnalysisSettings { MinPredictions = 100 });

        var drift = report.Checks.Single(c => c.Name == "prediction_drift");
        Assert.InRange(drift.Statistics["psi"], 0.2, 0.28);
        Assert.True(drift.Statistics["ks_p"] > 0.5);
        Assert.Equal(CheckOutcome.Pass, drift.Outcome);
        Assert.Contains("not significant", drift.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameShapeTenTimesLarger_IsSignificant_AndFails()
    {
        var (stable, canary) = Alternating();
        var bigStable = Enumerable.Range(0, 1000).Select(i => (i + 0.5) / 1000).ToArray();
        var bigCanary = Enumerable.Range(0, 10)
            .SelectMany(bin => Enumerable.Range(0, bin % 2 == 0 ? 20 : 180).Select(j => (bin + ((j + 0.5) / (bin % 2 == 0 ? 20 : 180))) / 10))
            .ToArray();
        Assert.NotEmpty(stable.Concat(canary));

        var drift = CanaryAnalysis.Compare(
            new VariantSample(1000, 0, [], bigStable, []),
            new VariantSample(1000, 0, [], bigCanary, []),
            new AnalysisSettings()).Checks.Single(c => c.Name == "prediction_drift");

        Assert.True(drift.Statistics["psi"] >= 0.2);
        Assert.True(drift.Statistics["ks_p"] < 0.01);
        Assert.Equal(CheckOutcome.Fail, drift.Outcome);
    }
}
