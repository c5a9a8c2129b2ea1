using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Rollouts;
using Usher.ControlPlane.Tests.Analysis.Summaries;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>
/// Three replicas' recorders see parts of a canary's traffic, flush to a real PostgreSQL, and the
/// leader judges the merge, against one recorder that saw all of it.
/// </summary>
public sealed class SharedWindowAnalysisTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 5, 0, 0, TimeSpan.Zero);
    private static readonly RouteVariant Stable = new("fraud", 1, 90);
    private static readonly RouteVariant Canary = new("fraud", 2, 10);

    private static readonly Rollout Rollout = new()
    {
        Id = 3,
        Spec = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": 2, "strategy": "canary"}""").Spec!,
        StableVersion = 1,
        Phase = RolloutPhase.Progressing,
        StepStartedAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Canary_aborts_on_one_replica_only_fail_the_merged_analysis_as_they_fail_one_process(bool abortsOnReplica0)
    {
        await using var source = await WindowSummaryTableTests.DatabaseAsync();
        var time = new FakeTimeProvider(T0.AddSeconds(30));
        var table = new WindowSummaryTable(source, time);
        var whole = Recorder();
        var replicas = new[] { Recorder(), Recorder(), Recorder() };
        var random = new Random(5);

        // 6,000 requests dealt 50/30/20 over the replicas; 10% go to the canary. Replica 0's canary
        // fails one request in four when aborts are injected there.
        for (var i = 0; i < 6_000; i++)
        {
            var u = random.NextDouble();
            var replica = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
            var variant = random.NextDouble() < 0.1 ? Canary : Stable;
            var failed = abortsOnReplica0 && replica == 0 && variant == Canary && random.NextDouble() < 0.25;
            var observation = Observation(variant, failed, latencyMs: 5 + (10 * random.NextDouble()), score: random.NextDouble());
            whole.Observe(in observation);
            replicas[replica].Observe(in observation);
        }

        var flushes = replicas.Select((r, i) => new SharedWindowAnalysis(r, table, $"replica-{i}", time)).ToArray();
        foreach (var flush in flushes)
        {
            Assert.Equal(2, await flush.FlushAsync(Rollout, CancellationToken.None));
        }

        var merged = await flushes[2].LookAsync(Rollout, final: false, CancellationToken.None);

        var single = CanaryAnalysis.Compare(whole.Sample("fraud", "fraud:1"), whole.Sample("fraud", "fraud:2"), Rollout.Spec.Analysis, final: false);
        Assert.Equal(abortsOnReplica0 ? AnalysisVerdict.Fail : AnalysisVerdict.Pass, single.Verdict);
        Assert.Equal(single.Verdict, merged.Verdict);
        Assert.Equal(single.Checks.Select(c => (c.Name, c.Outcome)), merged.Checks.Select(c => (c.Name, c.Outcome)));
        var errors = merged.Checks.Single(c => c.Name == ErrorRateCheck.Name).Statistics;
        Assert.Equal(single.Checks.Single(c => c.Name == ErrorRateCheck.Name).Statistics["canary_error_rate"], errors["canary_error_rate"]);
    }

    [SkippableFact]
    public async Task A_later_flush_of_the_same_replica_replaces_its_earlier_one()
    {
        await using var source = await WindowSummaryTableTests.DatabaseAsync();
        var time = new FakeTimeProvider(T0.AddSeconds(30));
        var table = new WindowSummaryTable(source, time);
        var recorder = Recorder();
        var flush = new SharedWindowAnalysis(recorder, table, "replica-a", time);

        recorder.Observe(Observation(Canary, failed: false, latencyMs: 4, score: 0.5));
        await flush.FlushAsync(Rollout, CancellationToken.None);
        recorder.Observe(Observation(Canary, failed: true, latencyMs: 6, score: 0.5));
        // The clock has not moved: the flush is still numbered after the first.
        await flush.FlushAsync(Rollout, CancellationToken.None);

        var merged = await table.MergeAsync(SharedWindowAnalysis.WindowOf(Rollout), CancellationToken.None);
        Assert.Equal(2, merged["fraud:2"].Summary.Requests);
        Assert.Equal(1, merged["fraud:2"].Summary.Errors);
        Assert.Equal(1, merged["fraud:2"].Replicas);
    }

    [Fact]
    public void A_replicas_summary_counts_every_request_of_the_window_past_the_sample_cap()
    {
        var recorder = Recorder();
        var random = new Random(9);
        var fed = new List<(bool Failed, double LatencyMs, double Score)>();
        for (var i = 0; i < TrafficRecorder.MaxSamples + 500; i++)
        {
            var request = (Failed: i % 50 == 0, LatencyMs: 1 + (random.NextDouble() * 20), Score: random.NextDouble());
            fed.Add(request);
            recorder.Observe(Observation(Canary, request.Failed, request.LatencyMs, request.Score));
        }

        var summary = recorder.SummaryOf("fraud", "fraud:2");

        // The sample stops at the cap; the summary does not. Independent count: a sketch of everything fed.
        Assert.Equal(TrafficRecorder.MaxSamples, recorder.Sample("fraud", "fraud:2").LatenciesMs.Count);
        Assert.Equal(fed.Count, summary.Requests);
        Assert.Equal(fed.Count(r => r.Failed), summary.Errors);
        var latencies = new DdSketch();
        fed.ForEach(r => latencies.Add(r.LatencyMs));
        Assert.True(summary.Latencies.SameCounts(latencies));
        Assert.Equal(fed.Count(r => !r.Failed), summary.Scores.Count);
        Assert.Equal(fed.Count(r => !r.Failed && (float)r.Score > 1 - (float)r.Score), summary.Labels.GetValueOrDefault("1"));

        // A copy: what is observed later leaves it alone.
        recorder.Observe(Observation(Canary, failed: true, latencyMs: 3, score: 0));
        Assert.Equal(fed.Count, summary.Requests);
        Assert.Equal(fed.Count + 1, recorder.SummaryOf("fraud", "fraud:2").Requests);
    }

    [Fact]
    public void A_recorder_that_keeps_no_summaries_is_refused_by_name()
    {
        var plain = new TrafficRecorder();
        plain.StartWindow("fraud", T0);
        plain.Observe(Observation(Canary, failed: false, latencyMs: 4, score: 0.5));

        Assert.Contains("summarise: true", Assert.Throws<InvalidOperationException>(() => plain.SummaryOf("fraud", "fraud:2")).Message, StringComparison.Ordinal);
        using var source = NpgsqlDataSource.Create("Host=127.0.0.1");
        var error = Assert.Throws<ArgumentException>(() => new SharedWindowAnalysis(plain, new WindowSummaryTable(source), "replica-a"));
        Assert.Contains("summarise: true", error.Message, StringComparison.Ordinal);
    }

    private static TrafficRecorder Recorder()
    {
        var recorder = new TrafficRecorder(summarise: true);
        recorder.StartWindow("fraud", T0);
        return recorder;
    }

    private static RouteObservation Observation(RouteVariant variant, bool failed, double latencyMs, double score)
    {
        var response = failed ? null : new InferenceResponse
        {
            ModelName = variant.Model,
            ModelVersion = variant.Version,
            Outputs = [Tensor.FromSpan<float>("probabilities", DataType.Fp32, [1, 2], [(float)(1 - score), (float)score])],
        };
        return new RouteObservation(
            "fraud", variant, T0.AddSeconds(1), failed ? InferenceError.Unavailable("aborted") : null, latencyMs, null, null, response, null, ObservationNeeds.Outcome);
    }
}
