namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of a two-sample Kolmogorov-Smirnov test.</summary>
/// <param name="D">sup_x |F_a(x) − F_b(x)|.</param>
/// <param name="PValue">Two-sided P(D ≥ observed) under H0.</param>
/// <param name="Exact">True when the p-value is the exact one, false when asymptotic.</param>
internal sealed record KolmogorovSmirnovResult(double D, double PValue, bool Exact);
