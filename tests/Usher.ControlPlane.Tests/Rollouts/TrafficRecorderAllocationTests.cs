using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Xunit.Abstractions;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>
/// What reading an analysis window costs: the rollout controller reads both variants' samples every
/// tick (each second), up to <see cref="TrafficRecorder.MaxSamples"/> latencies, scores and labels
/// per variant. The read gives views of the samples, not copies; a copy of a full window is about
/// 480 KB per variant per tick, all of it on the large object heap.
/// </summary>
[Trait("Category", "AllocationBudget")]
public sealed class TrafficRecorderAllocationTests(ITestOutputHelper output)
{
    /// <summary>
    /// Bytes reading both variants of a full window may allocate: the two samples and their three views
    /// each (about 300 B), whatever the window holds; a copy of one kind of one variant is 160 KB.
    /// </summary>
    public const long SampleBudget = 1_024;

    /// <summary>
    /// Bytes one analysis tick on a full window may allocate (reading it and <see cref="CanaryAnalysis.Compare"/>):
    /// the report, its statistics and its text, whatever the window holds. The sorted samples the
    /// checks need are rented buffers, reused from tick to tick.
    /// </summary>
    public const long TickBudget = 32 * 1_024;

    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly RouteVariant Stable = new("fraud", 1, 90);
    private static readonly RouteVariant Canary = new("fraud", 2, 10);

    [Fact]
    public void Sample_OfAFullWindow_AllocatesNoCopy()
    {
        var recorder = new TrafficRecorder();
        recorder.StartWindow("fraud", Start);
        Observe(recorder, Stable, TrafficRecorder.MaxSamples + 500, seed: 1);
        Observe(recorder, Canary, TrafficRecorder.MaxSamples + 500, seed: 2);
        Read(recorder);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var (stable, canary) = Read(recorder);
        var read = GC.GetAllocatedBytesForCurrentThread() - before;
        CanaryAnalysis.Compare(stable, canary, new AnalysisSettings());
        var tick = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"reading both variants: {read} B; with the analysis (one tick): {tick} B");
        Assert.Equal(TrafficRecorder.MaxSamples + 500, stable.Requests);
        Assert.Equal(TrafficRecorder.MaxSamples, stable.LatenciesMs.Count);
        Assert.Equal(TrafficRecorder.MaxSamples, canary.Scores.Count);
        Assert.True(read <= SampleBudget, $"reading a full window allocated {read} bytes; budget {SampleBudget}");
    }

    [Fact]
    public void AnalysisTick_OnAFullWindow_AllocatesASmallConstant()
    {
        var recorder = new TrafficRecorder();
        recorder.StartWindow("fraud", Start);
        Observe(recorder, Stable, TrafficRecorder.MaxSamples + 500, seed: 1);
        Observe(recorder, Canary, TrafficRecorder.MaxSamples + 500, seed: 2, slower: 3);
        var settings = new AnalysisSettings();

        // The first tick rents the sorted buffers (about 512 KB); later ticks reuse them.
        var first = Tick(recorder, settings);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var report = Tick(recorder, settings);
        var tick = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"one analysis tick on a full window (both variants, {TrafficRecorder.MaxSamples:N0} samples of each kind): {tick} B");
        Assert.Equal(first.Summary, report.Summary);

        // The checks did run on the whole window: the latency check failed the canary three times slower, and
        // the drift check compared every score (a copy of one kind of one variant would be 160 KB).
        var latency = report.Checks.Single(c => c.Name == LatencyCheck.Name);
        Assert.Equal(CheckOutcome.Fail, latency.Outcome);
        Assert.Equal(TrafficRecorder.MaxSamples, latency.Statistics["canary_samples"]);
        var drift = report.Checks.Single(c => c.Name == PredictionDriftCheck.Name);
        Assert.Equal(TrafficRecorder.MaxSamples, drift.Statistics["stable_predictions"]);
        Assert.True(tick <= TickBudget, $"an analysis tick on a full window allocated {tick} bytes; budget {TickBudget}");
    }

    [Fact]
    public void Sample_IsASnapshot_ThatLaterObservationsLeaveAlone()
    {
        var recorder = new TrafficRecorder();
        recorder.StartWindow("fraud", Start);
        var first = Observe(recorder, Canary, 300, seed: 3);
        var early = recorder.Sample("fraud", Canary.Name);

        // Enough to fill the rest of the current array and to grow it several times.
        var later = Observe(recorder, Canary, 5_000, seed: 4);
        var late = recorder.Sample("fraud", Canary.Name);

        Assert.Equal(first.Latencies, early.LatenciesMs);
        Assert.Equal(first.Scores, early.Scores);
        Assert.Equal(first.Labels, early.Labels);
        Assert.Equal(first.Latencies.Concat(later.Latencies), late.LatenciesMs);
        Assert.Equal(first.Scores.Concat(later.Scores), late.Scores);
        Assert.Equal(5_300, late.Requests);
    }

    [Fact]
    public void Sample_KeepsTheFirstMaxSamples_AndCountsTheRest()
    {
        var recorder = new TrafficRecorder();
        recorder.StartWindow("fraud", Start);
        var fed = Observe(recorder, Stable, TrafficRecorder.MaxSamples + 10, seed: 5, errorsEvery: 7);
        var sample = recorder.Sample("fraud", Stable.Name);

        Assert.Equal(fed.Latencies.Take(TrafficRecorder.MaxSamples), sample.LatenciesMs);
        Assert.Equal(fed.Scores.Take(TrafficRecorder.MaxSamples), sample.Scores);
        Assert.Equal(TrafficRecorder.MaxSamples + 10, sample.Requests);
        Assert.Equal((TrafficRecorder.MaxSamples + 10 + 6) / 7, sample.Errors);
    }

    private static AnalysisReport Tick(TrafficRecorder recorder, AnalysisSettings settings)
    {
        var (stable, canary) = Read(recorder);
        return CanaryAnalysis.Compare(stable, canary, settings, final: false);
    }

    private static (VariantSample Stable, VariantSample Canary) Read(TrafficRecorder recorder)
        => (recorder.Sample("fraud", Stable.Name), recorder.Sample("fraud", Canary.Name));

    // Feeds `count` answered requests (every `errorsEvery`-th one failed, from the first) and returns
    // what each answer should add to the window: its latency, and from a successful one its score and label.
    private static (List<double> Latencies, List<double> Scores, List<string> Labels) Observe(
        TrafficRecorder recorder, RouteVariant variant, int count, int seed, int errorsEvery = 0, double slower = 1)
    {
        var random = new Random(seed);
        var fed = (Latencies: new List<double>(), Scores: new List<double>(), Labels: new List<string>());
        for (var i = 0; i < count; i++)
        {
            var failed = errorsEvery > 0 && i % errorsEvery == 0;
            var latency = slower * (1 + random.NextDouble());
            var p = random.NextDouble();
            var response = failed ? null : new InferenceResponse
            {
                ModelName = variant.Model,
                ModelVersion = variant.Version,
                Outputs = [Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [(float)(1 - p), (float)p])],
            };
            recorder.Observe(new RouteObservation(
                "fraud", variant, Start, failed ? InferenceError.Unavailable("boom") : null, latency, null, null, response, null, ObservationNeeds.Outcome));
            fed.Latencies.Add(latency);
            if (!failed)
            {
                // Two probability columns: the score is column 1, the label the larger column's index.
                var (negative, positive) = ((float)(1 - p), (float)p);
                fed.Scores.Add(positive);
                fed.Labels.Add(positive > negative ? "1" : "0");
            }
        }

        return fed;
    }
}
