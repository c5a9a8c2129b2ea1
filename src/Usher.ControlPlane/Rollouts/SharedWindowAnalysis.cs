using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// A rollout's analysis when several replicas serve its endpoint (a canary's or blue-green's window, an
/// experiment's guardrail window): every replica flushes its summary of the window (<see cref="FlushAsync"/>: every flush interval, and at the step's end before the
/// leader's last look); the leader merges the replicas' latest flushes and judges them
/// (<see cref="LookAsync"/>) with the same <see cref="CanaryAnalysis"/> a single process runs on its
/// own samples. The window is named by the rollout's id and its step's start, as the shared state
/// holds them, so that every replica files its traffic under the same window.
/// </summary>
/// <param name="recorder">This replica's recorder.</param>
/// <param name="table">The shared table of window summaries.</param>
/// <param name="replicaId">This replica's id in the replica registry.</param>
/// <param name="time">The clock that numbers the flushes.</param>
internal sealed class SharedWindowAnalysis(TrafficRecorder recorder, WindowSummaryTable table, string replicaId, TimeProvider? time = null)
{
    private readonly TrafficRecorder _recorder = recorder is { Summarises: true }
        ? recorder
        : throw new ArgumentException("a replica that shares its analysis needs a recorder created with summarise: true", nameof(recorder));

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _lastSeq;

    /// <summary>The window a rollout's current step is judged over.</summary>
    public static SummaryWindow WindowOf(Rollout rollout) => WindowOf(rollout, rollout?.StepStartedAt ?? default);

    /// <summary>The rollout's window that started at <paramref name="start"/> (<see cref="WindowAnalyzer.WindowStartAt"/>).</summary>
    public static SummaryWindow WindowOf(Rollout rollout, DateTimeOffset start)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return new SummaryWindow(rollout.Endpoint, rollout.Id, start);
    }

    /// <summary>
    /// Writes what this replica saw of the rollout's window so far (<see cref="TrafficRecorder.SummaryOf"/>:
    /// every request, past the recorder's sample cap too), each variant replacing this replica's earlier
    /// flush; stable's side is the window's baseline where <see cref="WindowAnalyzer.JudgedAgainstBaseline"/>.
    /// Flushes are numbered by the clock's ticks (strictly increasing within the process), so a replica
    /// restarted under the same id also replaces what it flushed before.
    /// </summary>
    /// <returns>How many variants' rows were written.</returns>
    public Task<int> FlushAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var baseline = WindowAnalyzer.JudgedAgainstBaseline(rollout) ? WindowAnalyzer.StableName(rollout) : null;
        var variants = WindowAnalyzer.JudgedVariants(rollout).ToDictionary(
            name => name,
            name => name == baseline ? VariantSummary.Of(_recorder.Baseline(rollout.Endpoint)) : _recorder.SummaryOf(rollout.Endpoint, name),
            StringComparer.Ordinal);
        return table.FlushAsync(Window(rollout), replicaId, NextSeq(), variants, cancellationToken);
    }

    /// <summary>The leader's look: every replica's latest flush of the window, merged and judged.</summary>
    /// <param name="rollout">The rollout.</param>
    /// <param name="final">Whether this is the step's last look (see <see cref="CanaryAnalysis.Compare"/>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<AnalysisReport> LookAsync(Rollout rollout, bool final, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var (stable, canary) = await MergedSidesAsync(rollout, cancellationToken).ConfigureAwait(false);
        return CanaryAnalysis.Compare(stable, canary, rollout.Spec.Analysis, final);
    }

    /// <summary>Every replica's latest flush of the window, merged: stable's (or the baseline's) side and the candidate's.</summary>
    public async Task<(VariantSample Stable, VariantSample Canary)> MergedSidesAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        var sample = await MergedSamplesAsync(rollout, cancellationToken).ConfigureAwait(false);
        return (sample(WindowAnalyzer.StableName(rollout)), sample(WindowAnalyzer.CandidateName(rollout)));
    }

    /// <summary>Every replica's latest flush of the window, merged: each judged variant's sample by name (empty for one no replica flushed).</summary>
    public async Task<Func<string, VariantSample>> MergedSamplesAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var merged = await table.MergeAsync(Window(rollout), cancellationToken).ConfigureAwait(false);
        return variant => Side(merged, variant);
    }

    // A canary's window is its stored step's start, the same on every replica; an experiment's is the
    // guardrail window this process records now, which every replica aligns alike (WindowAnalyzer.WindowStartAt).
    private SummaryWindow Window(Rollout rollout)
        => WindowOf(rollout, ExperimentJudge.IsExperiment(rollout.Spec) ? _recorder.WindowStart(rollout.Endpoint) ?? rollout.StepStartedAt : rollout.StepStartedAt);

    // At most as many values a side as one process keeps (TrafficRecorder.MaxSamples): the leader's look
    // costs the same whatever the replicas' traffic, and judges a sample of the size one process would.
    private static VariantSample Side(IReadOnlyDictionary<string, MergedSummary> merged, string variant) =>
        merged.TryGetValue(variant, out var side) ? side.Summary.ToSample(TrafficRecorder.MaxSamples) : new VariantSample(0, 0, [], [], []);

    private long NextSeq()
    {
        var now = _time.GetUtcNow().UtcTicks;
        long last, next;
        do
        {
            last = Volatile.Read(ref _lastSeq);
            next = Math.Max(now, last + 1);
        }
        while (Interlocked.CompareExchange(ref _lastSeq, next, last) != last);

        return next;
    }
}
