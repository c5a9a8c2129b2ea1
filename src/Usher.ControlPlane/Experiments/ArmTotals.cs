namespace Usher.ControlPlane.Experiments;

/// <summary>What an arm has collected: units assigned and the outcomes reported for them.</summary>
/// <param name="Version">The arm's version.</param>
/// <param name="Assigned">Distinct units (routing keys, or requests without a key) routed to it.</param>
/// <param name="Outcomes">Outcomes reported.</param>
/// <param name="Sum">Sum of the outcome values.</param>
/// <param name="SumSquares">Sum of their squares.</param>
internal sealed record ArmTotals(long Version, long Assigned, long Outcomes, double Sum, double SumSquares)
{
    /// <summary>The units the metric averages over: binary counts every assigned unit (no feedback = 0), continuous only units with feedback.</summary>
    public long Units(OutcomeKind kind) => kind == OutcomeKind.Binary ? Math.Max(Assigned, Outcomes) : Outcomes;

    /// <summary>The metric's mean over <see cref="Units"/>.</summary>
    public double Mean(OutcomeKind kind) => Units(kind) is var n and > 0 ? Sum / n : 0;

    /// <summary>The sample variance (binary: p(1 − p)).</summary>
    public double Variance(OutcomeKind kind)
    {
        var n = Units(kind);
        var mean = Mean(kind);
        if (kind == OutcomeKind.Binary)
        {
            return mean * (1 - mean);
        }

        return n < 2 ? 0 : Math.Max(0, (SumSquares - (n * mean * mean)) / (n - 1));
    }
}
