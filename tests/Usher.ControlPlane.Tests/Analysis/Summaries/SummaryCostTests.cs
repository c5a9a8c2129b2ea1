using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.ControlPlane.Rollouts;
using Xunit.Abstractions;

namespace Usher.ControlPlane.Tests.Analysis.Summaries;

/// <summary>
/// What a flush carries and what the leader's look costs, on full windows
/// (<see cref="TrafficRecorder.MaxSamples"/> latencies, scores and labels per variant).
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class SummaryCostTests(ITestOutputHelper output)
{
    /// <summary>
    /// Bytes one variant's summary of a full window may take: it grows with the buckets the values
    /// span (a factor of 10 is 116 buckets at α = 1%), not with the number of values; the raw
    /// samples are 20,000 × (8 + 8) bytes plus the labels.
    /// </summary>
    public const int FlushBudget = 8 * 1_024;

    /// <summary>
    /// Bytes the leader's look may allocate per value merged: the expansion of each sketch into its
    /// values (8 bytes each) and of the labels (a reference each), for both variants, plus the
    /// report; the single-process tick reads views instead (TrafficRecorderAllocationTests.TickBudget).
    /// </summary>
    public const int LookBudgetPerValue = 16;

    private static VariantSample FullWindow(int seed, double scale) => new(
        TrafficRecorder.MaxSamples + 500,
        200,
        SampleData.Latencies(seed, TrafficRecorder.MaxSamples, scale),
        SampleData.Normal(seed + 1, TrafficRecorder.MaxSamples, 0.3, 0.1).Select(s => Math.Clamp(s, 0, 1)).ToArray(),
        SampleData.Labels("0", TrafficRecorder.MaxSamples / 3, "1", TrafficRecorder.MaxSamples));

    [Fact]
    public void A_full_windows_summary_is_a_few_kilobytes()
    {
        var summary = VariantSummary.Of(FullWindow(1, 1));

        var bytes = summary.ToBytes();

        output.WriteLine($"one variant's summary of a full window: {bytes.Length} B");
        Assert.True(bytes.Length <= FlushBudget, $"a full window's summary took {bytes.Length} bytes; budget {FlushBudget}");
        Assert.True(VariantSummary.FromBytes(bytes).SameAs(summary));
    }

    [Fact]
    public void The_leaders_look_allocates_in_proportion_to_the_values_merged()
    {
        var settings = new AnalysisSettings();
        var stableFlushes = Enumerable.Range(0, 3).Select(r => VariantSummary.Of(FullWindow(10 + r, 1)).ToBytes()).ToArray();
        var canaryFlushes = Enumerable.Range(0, 3).Select(r => VariantSummary.Of(FullWindow(20 + r, 3)).ToBytes()).ToArray();
        Look(stableFlushes, canaryFlushes, settings);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var report = Look(stableFlushes, canaryFlushes, settings);
        var look = GC.GetAllocatedBytesForCurrentThread() - before;

        var values = 2 * 3 * 3 * TrafficRecorder.MaxSamples;
        output.WriteLine($"the leader's look on three replicas' full windows ({values:N0} values): {look} B, {(double)look / values:F1} B per value");
        Assert.Equal(CheckOutcome.Fail, report.Checks.Single(c => c.Name == LatencyCheck.Name).Outcome);
        Assert.Equal(3.0 * TrafficRecorder.MaxSamples, report.Checks.Single(c => c.Name == LatencyCheck.Name).Statistics["canary_samples"]);
        Assert.True(look <= (long)LookBudgetPerValue * values, $"the look allocated {look} bytes; budget {LookBudgetPerValue} per value");
    }

    private static AnalysisReport Look(byte[][] stable, byte[][] canary, AnalysisSettings settings) =>
        CanaryAnalysis.Compare(
            VariantSummary.Sum(stable.Select(VariantSummary.FromBytes)).ToSample(),
            VariantSummary.Sum(canary.Select(VariantSummary.FromBytes)).ToSample(),
            settings,
            final: false);
}
