namespace Usher.ControlPlane.Experiments;

/// <summary>A treatment arm against the control (differences are treatment − control).</summary>
/// <param name="AbsoluteLift">Mean difference.</param>
/// <param name="AbsoluteCiLower">Fixed-horizon CI of the difference (z-test Wald or Welch), lower end.</param>
/// <param name="AbsoluteCiUpper">Upper end.</param>
/// <param name="RelativeLift">m_T/m_C − 1 (NaN when the control mean is 0).</param>
/// <param name="RelativeCiLower">Fixed-horizon CI of the relative lift (delta method), lower end.</param>
/// <param name="RelativeCiUpper">Upper end.</param>
/// <param name="PValue">Fixed-horizon two-sided p-value (valid only at one pre-planned look).</param>
/// <param name="SequentialLower">Always-valid confidence sequence of the difference, lower end.</param>
/// <param name="SequentialUpper">Upper end.</param>
/// <param name="SequentialPValue">Always-valid p-value: the decision rule.</param>
internal sealed record ArmComparison(
    double AbsoluteLift, double AbsoluteCiLower, double AbsoluteCiUpper,
    double RelativeLift, double RelativeCiLower, double RelativeCiUpper,
    double PValue, double SequentialLower, double SequentialUpper, double SequentialPValue);
