namespace Usher.ControlPlane.Experiments;

/// <summary>The <c>ab</c> section of a deployment spec (strategies <c>ab</c> and <c>bandit</c>).</summary>
internal sealed record ExperimentSpec
{
    /// <summary>The defaults (no arms: a spec of strategy ab or bandit must list them).</summary>
    public static ExperimentSpec Default { get; } = new();

    /// <summary>The arms in route-table order. The version serving when the test starts is the control arm and must be one of them.</summary>
    public IReadOnlyList<ExperimentArm> Variants { get; init; } = [];

    /// <summary>The outcome metric that feedback reports and the test judges. Default <c>conversion</c>.</summary>
    public string Metric { get; init; } = "conversion";

    /// <summary>Binary (0/1) or continuous. Default binary.</summary>
    public OutcomeKind Kind { get; init; } = OutcomeKind.Binary;

    /// <summary>The error rate of the sequential test over all looks. Default 0.05.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>N*, the total sample (all arms) the confidence sequence is tuned for. Default 5000.</summary>
    public double TuningN { get; init; } = 5000;

    /// <summary>The sample-ratio-mismatch check halts the test below this p-value. Default 0.001.</summary>
    public double SrmThreshold { get; init; } = 0.001;

    /// <summary>Units per arm before a winner or loser is declared. Default 100.</summary>
    public long MinSamples { get; init; } = 100;

    /// <summary>Bandit: the least share any arm keeps, as a fraction. Default 0.10.</summary>
    public double MinShare { get; init; } = 0.10;

    /// <summary>Bandit: how often the weights are recomputed. Default 60 s.</summary>
    public TimeSpan UpdateInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Every problem with the settings (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Variants.Count < 2)
        {
            problems.Add($"ab.variants: an experiment needs at least two arms, got {Variants.Count}");
        }

        foreach (var dup in Variants.GroupBy(v => v.Version).Where(g => g.Count() > 1))
        {
            problems.Add($"ab.variants: version {dup.Key} is listed {dup.Count()} times");
        }

        var total = Variants.Sum(v => v.Weight);
        if (Variants.Count >= 2 && Math.Abs(total - 100) > 1e-6)
        {
            problems.Add($"ab.variants: weights add up to {total}, expected 100");
        }

        if (Variants.Any(v => !(v.Weight > 0)))
        {
            problems.Add("ab.variants: every arm needs a weight above 0");
        }

        if (MinShare * Variants.Count > 1)
        {
            problems.Add($"ab.min_share: {MinShare} for {Variants.Count} arms adds up to more than all traffic");
        }

        return problems;
    }
}
