using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Experiments;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// One look at a rollout's window: reads both sides from the <see cref="TrafficRecorder"/>, runs
/// <see cref="CanaryAnalysis"/>, and publishes the result as the rollout's last analysis.
/// </summary>
internal sealed class WindowAnalyzer(TrafficRecorder recorder, RolloutTransitions transitions)
{
    /// <summary>
    /// Where replicas share their analysis (<c>usher serve --state postgresql://...</c>): the leader
    /// judges every replica's flushed summaries, merged, instead of its own samples. Null on one machine.
    /// </summary>
    public SharedWindowAnalysis? Shared { get; set; }

    /// <summary>
    /// Analyzes the window now; <paramref name="final"/> when the step (or rollback window) ends with
    /// this look. With <see cref="Shared"/>, this replica's summary is flushed first and the look
    /// judges all replicas' summaries merged.
    /// </summary>
    public async Task<Rollout> LookAsync(Rollout rollout, DateTimeOffset now, bool final, CancellationToken cancellationToken)
    {
        if (Shared is not { } shared)
        {
            return Look(rollout, now, final);
        }

        var windowStart = EnsureWindow(rollout, now);
        await shared.FlushAsync(rollout, cancellationToken).ConfigureAwait(false);
        var (stable, canary) = await shared.MergedSidesAsync(rollout, cancellationToken).ConfigureAwait(false);
        return Publish(rollout, windowStart, stable, canary, final);
    }

    /// <summary>
    /// The window's samples by variant name, for judges of more than two variants (an experiment's
    /// guardrails): this process's own, or with <see cref="Shared"/> every replica's flushed summaries
    /// merged, after this replica's own flush.
    /// </summary>
    public async Task<Func<string, VariantSample>> SamplesAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        if (Shared is not { } shared)
        {
            return variant => recorder.Sample(rollout.Endpoint, variant);
        }

        await shared.FlushAsync(rollout, cancellationToken).ConfigureAwait(false);
        return await shared.MergedSamplesAsync(rollout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Analyzes this process's window now; <paramref name="final"/> when the step (or rollback window) ends with this look.</summary>
    public Rollout Look(Rollout rollout, DateTimeOffset now, bool final)
    {
        var windowStart = EnsureWindow(rollout, now);
        var (stable, canary) = Sides(recorder, rollout);
        return Publish(rollout, windowStart, stable, canary, final);
    }

    private DateTimeOffset EnsureWindow(Rollout rollout, DateTimeOffset now)
    {
        var windowStart = recorder.WindowStart(rollout.Endpoint) ?? rollout.StepStartedAt;
        if (recorder.WindowStart(rollout.Endpoint) is null)
        {
            transitions.StartWindow(rollout, now);
        }

        return windowStart;
    }

    private Rollout Publish(Rollout rollout, DateTimeOffset windowStart, VariantSample stable, VariantSample canary, bool final)
    {
        var report = CanaryAnalysis.Compare(stable, canary, rollout.Spec.Analysis, final);
        var current = rollout with { LastAnalysis = new WindowAnalysis(windowStart, VariantCounts.Of(stable), VariantCounts.Of(canary), report) };
        transitions.Journal.Note(current);
        return current;
    }

    /// <summary>What the window holds for stable (or the baseline it is judged against) and for the candidate.</summary>
    public static (VariantSample Stable, VariantSample Canary) Sides(TrafficRecorder recorder, Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(rollout);

        var endpoint = rollout.Endpoint;
        var stable = JudgedAgainstBaseline(rollout)
            ? recorder.Baseline(endpoint)
            : recorder.Sample(endpoint, StableName(rollout));
        return (stable, recorder.Sample(endpoint, CandidateName(rollout)));
    }

    /// <summary>
    /// Whether the candidate is judged against the baseline the window started with rather than stable's
    /// traffic in the window: blue-green, and a canary's last step at 100%, compare the new version with
    /// what the old one served just before it took all traffic; other canary steps compare both over the
    /// same window.
    /// </summary>
    public static bool JudgedAgainstBaseline(Rollout rollout) => rollout.CandidateWeight >= 100;

    /// <summary>
    /// Where the rollout's window that holds <paramref name="now"/> starts, the same on every replica
    /// because it is computed from the stored rollout: a canary's (or blue-green's) is its step's start;
    /// an experiment's guardrail windows follow one another every <c>interval</c> from its step's start
    /// (the experiment's start, a resume, or a bandit's last reweighing): start + k x interval, the
    /// largest not after <paramref name="now"/>.
    /// </summary>
    public static DateTimeOffset WindowStartAt(Rollout rollout, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var start = rollout.StepStartedAt;
        var interval = rollout.Spec.Canary.Interval;
        if (!ExperimentJudge.IsExperiment(rollout.Spec) || now <= start || interval <= TimeSpan.Zero)
        {
            return start;
        }

        return start + (interval * Math.Floor((now - start) / interval));
    }

    /// <summary>
    /// The variants whose traffic a look judges: a canary's (or blue-green's) stable and candidate;
    /// every arm of an experiment (its guardrails judge each arm against the control).
    /// </summary>
    public static IReadOnlyList<string> JudgedVariants(Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return ExperimentJudge.IsExperiment(rollout.Spec)
            ? [.. rollout.Spec.Ab.Variants.Select(a => RouteVariant.Format(rollout.Spec.Model, a.Version))]
            : [StableName(rollout), CandidateName(rollout)];
    }

    /// <summary>The stable variant's name in the route table ("fraud:1").</summary>
    public static string StableName(Rollout rollout) => RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion);

    /// <summary>The candidate variant's name in the route table ("fraud:2").</summary>
    public static string CandidateName(Rollout rollout) => RouteVariant.Format(rollout.Spec.Model, rollout.CandidateVersion);
}
