namespace Usher.ControlPlane.Api;

/// <summary>How far a shadow's scores are from the primary's.</summary>
/// <param name="Rows">Rows with scores.</param>
/// <param name="MeanAbsDiff">Mean |difference|.</param>
/// <param name="MaxAbsDiff">Largest |difference|.</param>
/// <param name="Psi">Population stability index, or null without scores.</param>
/// <param name="KsD">Kolmogorov-Smirnov D, or null.</param>
/// <param name="KsP">Its p-value, or null.</param>
public sealed record ShadowScoresDto(long Rows, double MeanAbsDiff, double MaxAbsDiff, double? Psi, double? KsD, double? KsP);
