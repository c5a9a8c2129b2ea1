namespace Usher.ControlPlane.Api;

/// <summary>The sample-ratio-mismatch check of an experiment.</summary>
/// <param name="ChiSquare">The chi-square statistic.</param>
/// <param name="PValue">Its p-value.</param>
/// <param name="Threshold">The p-value below which the assignment is flagged.</param>
/// <param name="Flagged">Whether it is.</param>
public sealed record SrmDto(double? ChiSquare, double? PValue, double Threshold, bool Flagged);
