namespace Usher.ControlPlane.Experiments;

/// <summary>An experiment's results at one look.</summary>
/// <param name="Metric">The metric judged.</param>
/// <param name="Kind">Binary or continuous.</param>
/// <param name="Alpha">The experiment's α (each comparison uses α/(arms − 1)).</param>
/// <param name="ControlVersion">The control arm.</param>
/// <param name="Arms">Every arm, the control first.</param>
/// <param name="Srm">The sample-ratio-mismatch check of the assignment counts against the weights; null for bandits (their weights move).</param>
/// <param name="Decision">winner, loser or not yet.</param>
/// <param name="Winner">The version to promote when decided: the best winning arm, or the control when every other arm lost.</param>
/// <param name="Summary">One line that says why.</param>
internal sealed record ExperimentReport(
    string Metric, OutcomeKind Kind, double Alpha, long ControlVersion, IReadOnlyList<ArmResult> Arms,
    SrmResult? Srm, string Decision, long? Winner, string Summary);
