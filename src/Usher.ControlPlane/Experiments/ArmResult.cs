namespace Usher.ControlPlane.Experiments;

/// <summary>One arm's numbers and, for treatment arms, the comparison with the control.</summary>
/// <param name="Version">The arm's version.</param>
/// <param name="Weight">Its current weight, in percent.</param>
/// <param name="Assigned">Distinct units routed to it.</param>
/// <param name="Units">Units the metric averages over.</param>
/// <param name="Outcomes">Outcomes reported.</param>
/// <param name="Mean">The metric's mean (binary: the conversion rate).</param>
/// <param name="Verdict">The decision for this arm.</param>
/// <param name="Why">The reason, with its numbers.</param>
/// <param name="Comparison">Against the control; null for the control arm.</param>
internal sealed record ArmResult(long Version, double Weight, long Assigned, long Units, long Outcomes, double Mean, ArmVerdict Verdict, string Why, ArmComparison? Comparison);
