namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of a Pearson χ² test.</summary>
/// <param name="Statistic">Σ (O − E)² / E.</param>
/// <param name="DegreesOfFreedom">Categories taking part, less one (for a 2×k table, columns less one).</param>
/// <param name="PValue">P(χ²_df ≥ statistic); 1 when there is nothing to test.</param>
internal sealed record ChiSquareResult(double Statistic, int DegreesOfFreedom, double PValue);
