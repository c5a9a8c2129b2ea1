using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Api;

/// <summary>An arm against the control; a number that is not finite is null.</summary>
/// <param name="Lift">Absolute lift.</param>
/// <param name="CiLower">Its fixed-horizon interval, low end.</param>
/// <param name="CiUpper">High end.</param>
/// <param name="RelativeLift">Relative lift.</param>
/// <param name="RelativeCiLower">Its interval, low end.</param>
/// <param name="RelativeCiUpper">High end.</param>
/// <param name="PValue">Fixed-horizon p-value.</param>
/// <param name="SequentialLower">Always-valid interval, low end.</param>
/// <param name="SequentialUpper">High end.</param>
/// <param name="SequentialPValue">Always-valid p-value.</param>
public sealed record ArmComparisonDto(
    double? Lift, double? CiLower, double? CiUpper,
    double? RelativeLift, double? RelativeCiLower, double? RelativeCiUpper,
    double? PValue, double? SequentialLower, double? SequentialUpper, double? SequentialPValue)
{
    /// <summary>The wire form of <paramref name="c"/>.</summary>
    internal static ArmComparisonDto From(ArmComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        static double? F(double v) => ExperimentReportDto.Finite(v);
        return new ArmComparisonDto(
            F(c.AbsoluteLift), F(c.AbsoluteCiLower), F(c.AbsoluteCiUpper),
            F(c.RelativeLift), F(c.RelativeCiLower), F(c.RelativeCiUpper),
            F(c.PValue), F(c.SequentialLower), F(c.SequentialUpper), F(c.SequentialPValue));
    }
}
