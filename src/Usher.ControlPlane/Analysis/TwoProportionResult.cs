namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of a two-proportion z-test of b against a.</summary>
/// <param name="RateA">x_a / n_a.</param>
/// <param name="RateB">x_b / n_b.</param>
/// <param name="Difference">RateB − RateA.</param>
/// <param name="Z">(p_b − p_a) / SE pooled under H0; 0 when the pooled SE is 0 (then PValue is 1).</param>
/// <param name="PValue">Two-sided or one-sided (b greater) p-value, as asked.</param>
/// <param name="CiLower">Lower end of the unpooled (Wald) confidence interval of the difference.</param>
/// <param name="CiUpper">Upper end of that interval.</param>
internal sealed record TwoProportionResult(
    double RateA, double RateB, double Difference, double Z, double PValue, double CiLower, double CiUpper);
