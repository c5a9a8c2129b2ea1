namespace Usher.ControlPlane.Experiments;

/// <summary>
/// Sample size for an A/B test of a binary metric (statistics.md §3c, unpooled, two-sided, equal
/// arms): how many units each arm needs to detect an absolute lift of <c>mde</c> over <c>baseline</c>.
/// </summary>
internal static class ExperimentPlan
{
    /// <summary>Units per arm; the problem when the inputs are out of range.</summary>
    public static (long PerArm, string? Problem) ForProportions(double baseline, double mde, double alpha = 0.05, double power = 0.8)
    {
        if (!(baseline > 0 && baseline < 1))
        {
            return (0, $"--baseline: {baseline} is not a rate in (0, 1)");
        }

        if (mde == 0 || !(baseline + mde > 0 && baseline + mde < 1))
        {
            return (0, $"--mde: {mde} is not a non-zero absolute lift that keeps the rate in (0, 1) (baseline {baseline})");
        }

        if (!(alpha > 0 && alpha < 1) || !(power > 0 && power < 1))
        {
            return (0, $"--alpha and --power must be in (0, 1), got {alpha} and {power}");
        }

        return (Analysis.SampleSize.ForProportions(baseline, baseline + mde, alpha, power), null);
    }
}
