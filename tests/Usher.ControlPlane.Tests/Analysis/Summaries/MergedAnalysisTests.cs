using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;

namespace Usher.ControlPlane.Tests.Analysis.Summaries;

/// <summary>
/// The acceptance test of the merge: one window's traffic split over three replicas in uneven
/// shares, summarised by each, merged, and judged, against the judgement of one process that saw all
/// of it.
/// </summary>
public sealed class MergedAnalysisTests
{
    private const double Alpha = DdSketch.DefaultRelativeAccuracy;
    private static readonly AnalysisSettings Defaults = new();

    private static readonly string[] EvenLabels = [.. SampleData.Labels("a", 250, "b", 500), .. SampleData.Labels("c", 250, "d", 500)];

    public static TheoryData<string, string, string?> Scenarios => new()
    {
        { "healthy", "Pass", null },
        { "errors", "Fail", ErrorRateCheck.Name },
        { "slow", "Fail", LatencyCheck.Name },
        { "drifted scores", "Fail", PredictionDriftCheck.Name },
        { "drifted labels", "Fail", PredictionDriftCheck.Name },
        { "too few", "Wait", null },
    };

    private static (Traffic Stable, Traffic Canary) Window(string scenario) => scenario switch
    {
        "healthy" => (Traffic.Of(1, 4000, 40), Traffic.Of(11, 1000, 10)),
        "errors" => (Traffic.Of(2, 4000, 40), Traffic.Of(12, 1000, 100)),
        "slow" => (Traffic.Of(3, 4000, 40), Traffic.Of(13, 1000, 10, latencyScale: 1.7)),
        "drifted scores" => (Traffic.Of(4, 4000, 40), Traffic.Of(14, 1000, 10, scoreMean: 0.4)),
        "drifted labels" => (Traffic.Of(5, 4000, 40, labels: EvenLabels, scores: false),
            Traffic.Of(15, 1000, 10, labels: [.. SampleData.Labels("a", 100, "b", 300), .. SampleData.Labels("c", 300, "d", 700)], scores: false)),
        "too few" => (Traffic.Of(6, 60, 0), Traffic.Of(16, 40, 0)),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Three_replicas_merged_give_the_verdict_of_one_replica_with_the_same_traffic(string scenario, string expected, string? failing)
    {
        var (stable, canary) = Window(scenario);
        var stableParts = stable.Split(21, 0.5, 0.3, 0.2);
        var canaryParts = canary.Split(22, 0.05, 0.15, 0.8);

        var single = CanaryAnalysis.Compare(stable.Sample(), canary.Sample(), Defaults);
        var merged = CanaryAnalysis.Compare(Traffic.Merged(stableParts), Traffic.Merged(canaryParts), Defaults);

        Assert.Equal(Enum.Parse<AnalysisVerdict>(expected), single.Verdict);
        Assert.Equal(single.Verdict, merged.Verdict);
        Assert.Equal(single.Checks.Select(c => (c.Name, c.Outcome)), merged.Checks.Select(c => (c.Name, c.Outcome)));
        if (failing is not null)
        {
            Assert.Equal(CheckOutcome.Fail, Assert.Single(merged.Checks, c => c.Name == failing).Outcome);
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_merged_judgement_does_not_depend_on_how_the_traffic_was_split(string scenario, string expected, string? failing)
    {
        _ = expected;
        _ = failing;
        var (stable, canary) = Window(scenario);

        var oneReplica = CanaryAnalysis.Compare(Traffic.Merged([stable.Sample()]), Traffic.Merged([canary.Sample()]), Defaults);
        var threeReplicas = CanaryAnalysis.Compare(
            Traffic.Merged(stable.Split(31, 1, 1, 1)), Traffic.Merged(canary.Split(32, 0.7, 0.2, 0.1)), Defaults);

        // Summaries add up exactly, so every statistic and every word is the same, not merely close.
        Assert.Equal(oneReplica.Summary, threeReplicas.Summary);
        Assert.Equal(oneReplica.Checks.Count, threeReplicas.Checks.Count);
        for (var i = 0; i < oneReplica.Checks.Count; i++)
        {
            Assert.Equal(oneReplica.Checks[i].Statistics, threeReplicas.Checks[i].Statistics);
        }
    }

    [Fact]
    public void Merged_summaries_equal_the_summary_of_the_whole_window_bucket_for_bucket()
    {
        var (stable, _) = Window("drifted labels");
        var whole = VariantSummary.Of(stable.Sample());

        var merged = VariantSummary.Sum(stable.Split(41, 0.2, 0.3, 0.5).Select(p => VariantSummary.Of(p)));

        Assert.True(merged.SameAs(whole));
        Assert.Equal(whole.ToBytes(), merged.ToBytes());
        Assert.Equal(4000, merged.Latencies.Count);
        Assert.Equal(250, merged.Labels["b"]);
    }

    [Fact]
    public void Statistics_of_the_merged_judgement_stay_within_the_stated_bounds_of_the_exact_ones()
    {
        var (stable, canary) = Window("slow");
        var stableMerged = Traffic.Merged(stable.Split(51, 0.5, 0.3, 0.2));
        var canaryMerged = Traffic.Merged(canary.Split(52, 0.05, 0.15, 0.8));

        var exact = Latency(CanaryAnalysis.Compare(stable.Sample(), canary.Sample(), Defaults));
        var merged = Latency(CanaryAnalysis.Compare(stableMerged, canaryMerged, Defaults));

        // Counts are exact; each percentile within α of the exact one; so each ratio within (1 ± α)/(1 ∓ α).
        Assert.Equal(exact["stable_samples"], merged["stable_samples"]);
        foreach (var p in new[] { "stable_p50_ms", "stable_p99_ms", "canary_p50_ms", "canary_p99_ms" })
        {
            Assert.InRange(merged[p], exact[p] * (1 - Alpha), exact[p] * (1 + Alpha));
        }

        Assert.InRange(merged["p50_ratio"], exact["p50_ratio"] * (1 - Alpha) / (1 + Alpha), exact["p50_ratio"] * (1 + Alpha) / (1 - Alpha));

        // Mann-Whitney U: values keep their order across buckets; a canary/stable pair in one bucket
        // counts ½ instead of 0 or 1, so U moves by at most ½ Σ_b canary_b · stable_b.
        var stableBuckets = stableMerged.LatenciesMs.CountBy(v => v).ToDictionary();
        var sharedPairs = canaryMerged.LatenciesMs.CountBy(v => v).Sum(c => (double)c.Value * stableBuckets.GetValueOrDefault(c.Key));
        Assert.InRange(merged["mann_whitney_u"], exact["mann_whitney_u"] - (sharedPairs / 2), exact["mann_whitney_u"] + (sharedPairs / 2));
        Assert.True(sharedPairs > 0, "the bound is exercised: some pairs share a bucket");
    }

    [Fact]
    public void Error_counts_merge_exactly_published_two_proportion_vector_T1()
    {
        // T1: 200/2000 vs 250/2000 gives z = 2.501955 (reference statistics, computed with statsmodels).
        var stable = Traffic.Of(61, 2000, 200);
        var canary = Traffic.Of(62, 2000, 250);

        var report = CanaryAnalysis.Compare(Traffic.Merged(stable.Split(63, 0.6, 0.3, 0.1)), Traffic.Merged(canary.Split(64, 0.1, 0.1, 0.8)), Defaults);

        var check = Assert.Single(report.Checks, c => c.Name == ErrorRateCheck.Name);
        Approx.Equal(2.501955, check.Statistics["z"], 1e-6);
        Approx.Equal(0.012351 / 2, check.Statistics["p"], 1e-6);
    }

    [Fact]
    public void Label_counts_merge_exactly_published_PSI_vector_T15()
    {
        // T15: shares .25/.25/.25/.25 against .10/.20/.30/.40 give PSI = 0.2282174.
        var stable = Traffic.Of(71, 1000, 0, labels: [.. SampleData.Labels("a", 250, "b", 500), .. SampleData.Labels("c", 250, "d", 500)], scores: false);
        var canary = Traffic.Of(72, 1000, 0, labels: [.. SampleData.Labels("a", 100, "b", 300), .. SampleData.Labels("c", 300, "d", 700)], scores: false);

        var report = CanaryAnalysis.Compare(Traffic.Merged(stable.Split(73, 1, 2, 3)), Traffic.Merged(canary.Split(74, 3, 2, 1)), Defaults);

        Approx.Equal(0.2282174, Assert.Single(report.Checks, c => c.Name == PredictionDriftCheck.Name).Statistics["psi"], 1e-7);
    }

    private static IReadOnlyDictionary<string, double> Latency(AnalysisReport report) =>
        Assert.Single(report.Checks, c => c.Name == LatencyCheck.Name).Statistics;
}
