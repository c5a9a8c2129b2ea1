using MathNet.Numerics;

namespace Usher.ControlPlane.Analysis;

/// <summary>Tail probabilities and quantiles of the standard normal, accurate far into the tails.</summary>
internal static class NormalTail
{
    /// <summary>P(Z ≥ z), computed through erfc so that small p-values keep their precision.</summary>
    public static double Upper(double z) => 0.5 * SpecialFunctions.Erfc(z / Math.Sqrt(2.0));

    /// <summary>Two-sided p-value 2·P(Z ≥ |z|), at most 1.</summary>
    public static double TwoSided(double z) => Math.Min(1.0, 2.0 * Upper(Math.Abs(z)));

    /// <summary>The quantile z_q = Φ⁻¹(q).</summary>
    public static double Quantile(double q) => MathNet.Numerics.Distributions.Normal.InvCDF(0.0, 1.0, q);
}
