namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of Welch's t-test of b − a.</summary>
/// <param name="MeanA">Mean of a.</param>
/// <param name="MeanB">Mean of b.</param>
/// <param name="VarianceA">Sample variance of a (n − 1 denominator).</param>
/// <param name="VarianceB">Sample variance of b.</param>
/// <param name="StandardError">sqrt(s_a²/n_a + s_b²/n_b).</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite ν.</param>
/// <param name="T">(mean_b − mean_a) / SE.</param>
/// <param name="PValue">Two-sided p-value.</param>
/// <param name="CiLower">Lower end of the confidence interval of mean_b − mean_a.</param>
/// <param name="CiUpper">Upper end of that interval.</param>
internal sealed record WelchTTestResult(
    double MeanA, double MeanB, double VarianceA, double VarianceB, double StandardError,
    double DegreesOfFreedom, double T, double PValue, double CiLower, double CiUpper);
