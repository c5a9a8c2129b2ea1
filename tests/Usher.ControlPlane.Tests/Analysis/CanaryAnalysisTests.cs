using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class CanaryAnalysisTests
{
    private static readonly AnalysisSettings Defaults = new();

    private static VariantSample Stable(long requests = 4500, long errors = 45, double[]? latencies = null, double[]? scores = null, string[]? labels = null) =>
        new(requests, errors, latencies ?? SampleData.Latencies(1, 4500), scores ?? SampleData.Normal(2, 4500, 0.3, 0.1), labels ?? []);

    private static VariantSample Canary(long requests = 500, long errors = 5, double[]? latencies = null, double[]? scores = null, string[]? labels = null) =>
        new(requests, errors, latencies ?? SampleData.Latencies(3, 500), scores ?? SampleData.Normal(4, 500, 0.3, 0.1), labels ?? []);

    private static CheckResult Check(AnalysisReport report, string name) => Assert.Single(report.Checks, c => c.Name == name);

    [Fact]
    public void Compare_HealthyCanaryLikeStable_Passes()
    {
        var report = CanaryAnalysis.Compare(Stable(), Canary(), Defaults);

        Assert.Equal(AnalysisVerdict.Pass, report.Verdict);
        Assert.Equal(["error_rate", "latency", "prediction_drift"], report.Checks.Select(c => c.Name));
        Assert.All(report.Checks, c => Assert.Equal(CheckOutcome.Pass, c.Outcome));
        Assert.True(Check(report, "prediction_drift").Statistics["psi"] < 0.1);
        Assert.StartsWith("Pass:", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_CanaryWithTenPercentErrors_FailsOnErrorRate()
    {
        var report = CanaryAnalysis.Compare(Stable(), Canary(errors: 50), Defaults);

        Assert.Equal(AnalysisVerdict.Fail, report.Verdict);
        var check = Check(report, "error_rate");
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        Assert.Equal(0.10, check.Statistics["canary_error_rate"]);
        Assert.Equal(0.01, check.Statistics["stable_error_rate"]);
        Assert.Equal(CheckOutcome.Pass, Check(report, "latency").Outcome);
        Assert.Contains("error_rate", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_ErrorRateAboveLimit_SaysSoWithTheNumbers()
    {
        var report = CanaryAnalysis.Compare(Stable(errors: 0), Canary(errors: 49), Defaults);

        Assert.Equal("canary error rate 9.8% (49/500) vs stable 0.0% (0/4500): above the 5.0% limit", Check(report, "error_rate").Detail);
    }

    [Fact]
    public void Compare_ErrorRateUnderLimitButSignificantlyAboveStable_Fails()
    {
        // 3% (30/1000) vs 1% (45/4500): pooled p = 75/5500, SE0 = sqrt(p(1−p)(1/4500 + 1/1000)) ≈ 0.004055, z ≈ 4.93.
        var report = CanaryAnalysis.Compare(Stable(), Canary(requests: 1000, errors: 30), Defaults);

        var check = Check(report, "error_rate");
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        const double pooled = 75.0 / 5500;
        var se0 = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / 4500) + (1.0 / 1000)));
        Approx.Relative(0.02 / se0, check.Statistics["z"], 1e-9);
        Assert.Contains("significantly above stable", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_CanaryTwiceAsSlow_FailsOnLatency()
    {
        var report = CanaryAnalysis.Compare(Stable(), Canary(latencies: SampleData.Latencies(3, 500, scale: 2)), Defaults);

        Assert.Equal(AnalysisVerdict.Fail, report.Verdict);
        var check = Check(report, "latency");
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        // Both come from 10 + Exp(mean 5): p50 = 10 + 5 ln 2 ≈ 13.47 ms, so doubled ≈ 26.9 ms.
        Approx.Equal(10 + (5 * Math.Log(2)), check.Statistics["stable_p50_ms"], 0.5);
        Approx.Equal(2 * (10 + (5 * Math.Log(2))), check.Statistics["canary_p50_ms"], 1.5);
        Approx.Equal(2.0, check.Statistics["p50_ratio"], 0.15);
        Assert.True(check.Statistics["p"] < 1e-10);
        Assert.Equal(CheckOutcome.Pass, Check(report, "error_rate").Outcome);
    }

    [Fact]
    public void Compare_SlightlySlowerButWithinRatioLimits_PassesLatency()
    {
        var report = CanaryAnalysis.Compare(Stable(), Canary(latencies: SampleData.Latencies(3, 500, scale: 1.1)), Defaults);

        var check = Check(report, "latency");
        Assert.True(check.Statistics["p"] < Defaults.Alpha, "the slowdown is significant");
        Assert.Equal(CheckOutcome.Pass, check.Outcome);
    }

    [Fact]
    public void Compare_ShiftedScores_FailsOnPredictionDrift()
    {
        // Scores N(0.3, 0.1) vs N(0.45, 0.1): a 1.5 σ shift.
        var report = CanaryAnalysis.Compare(Stable(), Canary(scores: SampleData.Normal(4, 500, 0.45, 0.1)), Defaults);

        Assert.Equal(AnalysisVerdict.Fail, report.Verdict);
        var check = Check(report, "prediction_drift");
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        Assert.True(check.Statistics["psi"] >= 0.2, $"psi = {check.Statistics["psi"]}");
        Assert.True(check.Statistics["ks_p"] < 1e-6);
        // KS D of two normals 1.5 σ apart is 2Φ(0.75) − 1 ≈ 0.547.
        Approx.Equal(0.547, check.Statistics["ks_d"], 0.06);
    }

    [Fact]
    public void Compare_TooFewRequests_Waits()
    {
        var stable = new VariantSample(50, 0, SampleData.Latencies(1, 50), SampleData.Normal(2, 50, 0.3, 0.1), []);
        var canary = new VariantSample(40, 1, SampleData.Latencies(3, 40), SampleData.Normal(4, 40, 0.3, 0.1), []);

        var report = CanaryAnalysis.Compare(stable, canary, Defaults);

        Assert.Equal(AnalysisVerdict.Wait, report.Verdict);
        Assert.All(report.Checks, c => Assert.Equal(CheckOutcome.Wait, c.Outcome));
        Assert.StartsWith("Wait:", report.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_FewRequestsMostlyErrors_FailsEarly()
    {
        // 15/30: the 99% Wilson lower bound is ≈ 0.287 (z = 2.5758), far above 5%.
        var canary = new VariantSample(30, 15, SampleData.Latencies(3, 30), [], []);

        var report = CanaryAnalysis.Compare(Stable(), canary, Defaults);

        Assert.Equal(AnalysisVerdict.Fail, report.Verdict);
        var check = Check(report, "error_rate");
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        Approx.Equal(0.2872, check.Statistics["canary_error_rate_wilson99_lower"], 5e-4);
        Assert.Equal(CheckOutcome.Wait, Check(report, "latency").Outcome);
    }

    [Fact]
    public void Compare_FewRequestsSomeErrors_WaitsInsteadOfFailingEarly()
    {
        // 3/30 = 10% is over the limit, but the 99% Wilson lower bound (≈ 0.024) is not.
        var canary = new VariantSample(30, 3, SampleData.Latencies(3, 30), [], []);

        var report = CanaryAnalysis.Compare(Stable(), canary, Defaults);

        Assert.Equal(CheckOutcome.Wait, Check(report, "error_rate").Outcome);
        Assert.Equal(AnalysisVerdict.Wait, report.Verdict);
    }

    [Fact]
    public void Compare_LabelSharesDrift_FailsWithCategoricalPsi()
    {
        var stable = Stable(scores: [], labels: SampleData.Labels("cat", 500, "dog", 1000));
        var canary = Canary(scores: [], labels: SampleData.Labels("cat", 100, "dog", 500));

        var report = CanaryAnalysis.Compare(stable, canary, Defaults);

        var check = Check(report, "prediction_drift");
        Assert.Equal(CheckOutcome.Fail, check.Outcome);
        var expected = ((0.2 - 0.5) * Math.Log(0.2 / 0.5)) + ((0.8 - 0.5) * Math.Log(0.8 / 0.5));
        Approx.Relative(expected, check.Statistics["psi"], 1e-12);
        Assert.Equal(0.5, check.Statistics["stable_share[cat]"]);
        Assert.Equal(0.2, check.Statistics["canary_share[cat]"]);
        Assert.True(check.Statistics["chi_square_p"] < 1e-10);
    }

    [Fact]
    public void Compare_LabelSharesClose_PassesDrift()
    {
        var stable = Stable(scores: [], labels: SampleData.Labels("cat", 500, "dog", 1000));
        var canary = Canary(scores: [], labels: SampleData.Labels("cat", 240, "dog", 500));

        var check = Check(CanaryAnalysis.Compare(stable, canary, Defaults), "prediction_drift");

        Assert.Equal(CheckOutcome.Pass, check.Outcome);
        Assert.True(check.Statistics["psi"] < 0.01);
    }

    [Fact]
    public void Compare_NoPredictions_PassesDriftWithNothingToCompare()
    {
        var report = CanaryAnalysis.Compare(Stable(scores: []), Canary(scores: []), Defaults);

        var check = Check(report, "prediction_drift");
        Assert.Equal(CheckOutcome.Pass, check.Outcome);
        Assert.Equal("no predictions to compare", check.Detail);
        Assert.Equal(AnalysisVerdict.Pass, report.Verdict);
    }

    [Fact]
    public void Compare_FewPredictions_WaitsOnDriftOnly()
    {
        var report = CanaryAnalysis.Compare(Stable(), Canary(scores: SampleData.Normal(4, 60, 0.3, 0.1)), Defaults);

        Assert.Equal(CheckOutcome.Wait, Check(report, "prediction_drift").Outcome);
        Assert.Equal(AnalysisVerdict.Wait, report.Verdict);
    }

    [Fact]
    public void Compare_SameInputs_GiveTheSameReport()
    {
        var first = CanaryAnalysis.Compare(Stable(), Canary(errors: 50), Defaults);
        var second = CanaryAnalysis.Compare(Stable(), Canary(errors: 50), Defaults);

        Assert.Equal(first.Summary, second.Summary);
        Assert.Equal(first.Checks.Select(c => c.Statistics.OrderBy(kv => kv.Key, StringComparer.Ordinal)),
            second.Checks.Select(c => c.Statistics.OrderBy(kv => kv.Key, StringComparer.Ordinal)));
    }

    [Fact]
    public void Compare_InvalidSettings_ThrowsListingEveryProblem()
    {
        var exception = Assert.Throws<ArgumentException>(() =>
            CanaryAnalysis.Compare(Stable(), Canary(), new AnalysisSettings { Alpha = 2, MinRequests = 0 }));

        Assert.Contains("Alpha", exception.Message, StringComparison.Ordinal);
        Assert.Contains("MinRequests", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_ZeroLatenciesAndNoErrors_ReportsOnlyFiniteStatistics()
    {
        var zeros = new double[200];
        var stable = new VariantSample(200, 0, zeros, Enumerable.Repeat(0.5, 200).ToArray(), []);
        var canary = new VariantSample(200, 0, zeros, Enumerable.Repeat(0.5, 200).ToArray(), []);

        var report = CanaryAnalysis.Compare(stable, canary, Defaults);

        Assert.Equal(AnalysisVerdict.Pass, report.Verdict);
        Assert.All(report.Checks.SelectMany(c => c.Statistics), kv => Assert.True(double.IsFinite(kv.Value), kv.Key));
    }

    [Fact]
    public void Compare_EarlyFail_SaysWhyItDidNotWait()
    {
        var canary = new VariantSample(30, 15, [], [], []);

        var check = Check(CanaryAnalysis.Compare(Stable(errors: 0), canary, Defaults), "error_rate");

        // The early rule is the sequential test of "rate ≤ 5%" at α/5 (it replaced the 99% Wilson bound).
        Assert.StartsWith("canary error rate 50.0% (15/30) vs stable 0.0% (0/4500): above the 5.0% limit (early: always-valid p = ", check.Detail, StringComparison.Ordinal);
        Assert.EndsWith(" ≤ 0.002 after 30 requests)", check.Detail, StringComparison.Ordinal);
        Assert.True(check.Statistics["limit_always_valid_p"] <= 0.002);
    }

    [Fact]
    public void Compare_MoreErrorsThanRequests_Throws() =>
        Assert.Throws<ArgumentException>(() => CanaryAnalysis.Compare(Stable(), Canary(requests: 5, errors: 6), Defaults));
}
