namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of a Mann-Whitney U test of x against y.</summary>
/// <param name="U">U of x: R_x − n_x(n_x+1)/2 (scipy's U1).</param>
/// <param name="Z">The continuity-corrected z of the statistic the p-value is taken from.</param>
/// <param name="PValue">Asymptotic p-value (normal approximation, tie and continuity corrections).</param>
internal sealed record MannWhitneyResult(double U, double Z, double PValue);
