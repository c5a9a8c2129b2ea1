using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
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

    private static readonly Rollout Experiment = new()
    {
        Id = 4,
        Spec = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": 2, "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 40}, {"version": 2, "weight": 30}, {"version": 3, "weight": 30}], "metric": "conversion"}}""").Spec!,
        StableVersion = 1,
        Phase = RolloutPhase.Progressing,
        StepStartedAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    [SkippableFact]
    public async Task An_experiments_guardrails_judge_every_arm_on_every_replicas_traffic_merged_as_one_process_judges_it()
    {
        await using var source = await WindowSummaryTableTests.DatabaseAsync();
        var time = new FakeTimeProvider(T0.AddSeconds(30));
        var table = new WindowSummaryTable(source, time);
        var whole = Recorder();
        var leader = Recorder();
        var follower = Recorder();
        var arms = new[] { new RouteVariant("fraud", 1, 40), new RouteVariant("fraud", 2, 30), new RouteVariant("fraud", 3, 30) };
        var random = new Random(11);

        // 6,000 requests, half on each replica, dealt 40/30/30 over the arms; version 3 fails one request
        // in three on the follower only.
        for (var i = 0; i < 6_000; i++)
        {
            var onLeader = random.NextDouble() < 0.5;
            var u = random.NextDouble();
            var arm = arms[u < 0.4 ? 0 : u < 0.7 ? 1 : 2];
            var failed = !onLeader && arm.Version == 3 && random.NextDouble() < 1.0 / 3;
            var observation = Observation(arm, failed, latencyMs: 5 + (10 * random.NextDouble()), score: random.NextDouble());
            whole.Observe(in observation);
            (onLeader ? leader : follower).Observe(in observation);
        }

        var shared = new[] { new SharedWindowAnalysis(leader, table, "leader", time), new SharedWindowAnalysis(follower, table, "follower", time) };
        foreach (var replica in shared)
        {
            Assert.Equal(3, await replica.FlushAsync(Experiment, CancellationToken.None));
        }

        var routes = new RouteTable("fraud", arms);
        var merged = ExperimentJudge.Breaches(await shared[0].MergedSamplesAsync(Experiment, CancellationToken.None), Experiment, routes);
        var single = ExperimentJudge.Breaches(v => whole.Sample("fraud", v), Experiment, routes);
        var leaderAlone = ExperimentJudge.Breaches(v => leader.Sample("fraud", v), Experiment, routes);

        Assert.Equal([3L], single.Select(b => b.Version));
        Assert.Equal(single.Select(b => b.Version), merged.Select(b => b.Version));
        Assert.Contains(ErrorRateCheck.Name, merged.Single().Why, StringComparison.Ordinal);
        // What the leader judged before: its own traffic, where version 3 never failed.
        Assert.Empty(leaderAlone);
    }

    [SkippableFact]
    public async Task An_experiment_on_a_leader_whose_own_traffic_is_clean_stops_an_arm_that_fails_on_another_replica()
    {
        await using var source = await WindowSummaryTableTests.DatabaseAsync();
        await using var h = await ControllerHarness.StartAsync(summarise: true);
        var table = new WindowSummaryTable(source, h.Time);
        h.Analyzer.Shared = new SharedWindowAnalysis(h.Controller.Recorder, table, "leader", h.Time);
        h.WriteVersion(2);
        await h.DeployAsync("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "metric": "conversion"}}""");
        h.Observe(1, 500);
        h.Observe(2, 500);

        // The other replica files its traffic under the same window (computed from the stored
        // rollout) and flushes it: version 2 failed one request in five there.
        var other = new TrafficRecorder(summarise: true);
        other.StartWindow("fraud", WindowAnalyzer.WindowStartAt(h.Current, h.Time.GetUtcNow()));
        var random = new Random(3);
        for (var i = 0; i < 1_000; i++)
        {
            var arm = new RouteVariant("fraud", 1 + (i % 2), 50);
            var observation = Observation(arm, failed: arm.Version == 2 && i % 10 == 1, latencyMs: 2, score: random.NextDouble()) with { At = h.Time.GetUtcNow() };
            other.Observe(in observation);
        }

        Assert.Equal(2, await new SharedWindowAnalysis(other, table, "other", h.Time).FlushAsync(h.Current, CancellationToken.None));

        await h.AdvanceAndTickAsync(h.Current.Spec.Canary.Interval);

        Assert.Equal([(1L, 100.0), (2L, 0.0)], h.Table);
        var guardrail = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).Single(e => e.Kind == "guardrail");
        Assert.Contains("version 2 stopped", guardrail.Message, StringComparison.Ordinal);
        Assert.Contains("error_rate", guardrail.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_that_does_not_lead_files_an_experiments_traffic_under_the_guardrail_window_of_the_stored_rollout()
    {
        await using var h = await ControllerHarness.StartAsync(summarise: true);
        h.WriteVersion(2);
        var started = await h.DeployAsync("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "metric": "conversion"}}""");
        var interval = started.Spec.Canary.Interval;

        // No tick: as on a replica that does not lead, only the re-read of the store moves the window.
        h.Time.Advance((2 * interval) + TimeSpan.FromSeconds(1));
        await h.Controller.FollowWindowsAsync(CancellationToken.None);

        Assert.Equal(started.StepStartedAt + (2 * interval), h.Controller.Recorder.WindowStart("fraud"));
    }

    [Fact]
    public void An_experiments_guardrail_windows_follow_one_another_every_interval_from_its_step_start_and_a_canarys_is_its_step()
    {
        var interval = Experiment.Spec.Canary.Interval;

        Assert.Equal(T0, WindowAnalyzer.WindowStartAt(Experiment, T0.AddSeconds(-1)));
        Assert.Equal(T0, WindowAnalyzer.WindowStartAt(Experiment, T0 + interval - TimeSpan.FromTicks(1)));
        Assert.Equal(T0 + interval, WindowAnalyzer.WindowStartAt(Experiment, T0 + interval));
        Assert.Equal(T0 + (2 * interval), WindowAnalyzer.WindowStartAt(Experiment, T0 + (2.5 * interval)));
        Assert.Equal(T0, WindowAnalyzer.WindowStartAt(Rollout, T0 + (10 * interval)));
        Assert.Equal(["fraud:1", "fraud:2", "fraud:3"], WindowAnalyzer.JudgedVariants(Experiment));
        Assert.Equal(["fraud:1", "fraud:2"], WindowAnalyzer.JudgedVariants(Rollout));
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
