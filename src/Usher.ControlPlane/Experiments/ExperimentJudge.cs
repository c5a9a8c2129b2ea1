using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Experiments;

/// <summary>
/// What the rollout controller asks of an experiment on each tick: its results, its guardrails
/// (the rollout analysis of each arm against the control), and for a bandit its next weights.
/// The controller applies the answers (publishes tables, pauses, records history).
/// </summary>
internal static class ExperimentJudge
{
    /// <summary>Whether the spec runs an experiment rather than a rollout.</summary>
    public static bool IsExperiment(DeploymentSpec spec) => spec.Strategy is RolloutStrategy.Ab or RolloutStrategy.Bandit;

    /// <summary>The table the experiment starts with: its arms, in the spec's order.</summary>
    public static RouteTable StartTable(DeploymentSpec spec)
        => new(spec.Endpoint, [.. spec.Ab.Variants.Select(a => new RouteVariant(spec.Model, a.Version, a.Weight))]);

    /// <summary>The results now, from the stored totals; the SRM check only while the weights are the spec's.</summary>
    public static async Task<ExperimentReport> AnalyzeAsync(IExperimentStore store, Rollout rollout, RouteTable? table, CancellationToken cancellationToken)
    {
        var spec = rollout.Spec.Ab;
        var totals = await store.TotalsAsync(rollout.Id, spec.Metric, cancellationToken).ConfigureAwait(false);
        var weights = spec.Variants.ToDictionary(a => a.Version, a => table?.Find(a.Version)?.Weight ?? 0.0);
        var byVersion = totals.ToDictionary(t => t.Version);
        var arms = spec.Variants.Select(a => byVersion.GetValueOrDefault(a.Version) ?? new ArmTotals(a.Version, 0, 0, 0, 0)).ToList();
        var unchanged = spec.Variants.All(a => Math.Abs(weights[a.Version] - a.Weight) < 1e-9);
        return ExperimentAnalysis.Analyze(spec, rollout.StableVersion, arms, weights, checkSrm: rollout.Spec.Strategy == RolloutStrategy.Ab && unchanged);
    }

    /// <summary>
    /// The arms whose guardrails (error rate, latency, drift against the control over the window) fail,
    /// with why; <paramref name="sample"/> gives the window's sample of a variant by name (this process's,
    /// or every replica's merged: <see cref="WindowAnalyzer.SamplesAsync"/>).
    /// </summary>
    public static IReadOnlyList<(long Version, string Why)> Breaches(Func<string, VariantSample> sample, Rollout rollout, RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var control = sample(RouteVariant.Format(rollout.Spec.Model, rollout.StableVersion));
        var breaches = new List<(long, string)>();
        foreach (var arm in table.Variants.Where(v => v.Version != rollout.StableVersion && v.Weight > 0))
        {
            var report = CanaryAnalysis.Compare(control, sample(arm.Name), rollout.Spec.Analysis);
            if (report.Verdict == AnalysisVerdict.Fail)
            {
                breaches.Add((arm.Version, string.Join("; ", report.Checks.Where(c => c.Outcome == CheckOutcome.Fail).Select(c => $"{c.Name}: {c.Detail}"))));
            }
        }

        return breaches;
    }

    /// <summary>The table with <paramref name="version"/>'s weight moved to the control.</summary>
    public static RouteTable StopArm(RouteTable table, long version, long control)
    {
        var moved = table.Find(version)?.Weight ?? 0;
        return new RouteTable(table.Endpoint, [.. table.Variants.Select(v => v.Version == version ? v with { Weight = 0 } : v.Version == control ? v with { Weight = v.Weight + moved } : v)]);
    }

    /// <summary>A bandit's next table: Thompson weights over the arms still running (a stopped arm stays at 0).</summary>
    public static RouteTable Reweigh(RouteTable table, ExperimentReport report, ExperimentSpec spec, Random random)
    {
        var live = table.Variants.Where(v => v.Weight > 0).ToList();
        if (live.Count < 2)
        {
            return table;
        }

        var counts = live.Select(v => report.Arms.FirstOrDefault(a => a.Version == v.Version) is { } arm
            ? ((long)Math.Round(arm.Mean * arm.Units), arm.Units - (long)Math.Round(arm.Mean * arm.Units))
            : (0L, 0L)).ToList();
        var weights = ThompsonSampling.Weights(counts, spec.MinShare, random);
        var next = live.Select((v, i) => (v.Version, Weight: weights[i])).ToDictionary(x => x.Version, x => x.Weight);
        return new RouteTable(table.Endpoint, [.. table.Variants.Select(v => v with { Weight = next.GetValueOrDefault(v.Version) })]);
    }
}
