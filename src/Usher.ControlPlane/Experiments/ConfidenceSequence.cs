using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Experiments;

/// <summary>
/// The always-valid sequential test (statistics.md §3b): GrowthBook's normal-mixture asymptotic
/// confidence sequence, algebraically Johari et al.'s mSPRT. Its interval and p-value hold at every
/// look, so results may be watched continuously without inflating the false-positive rate.
/// </summary>
internal static class ConfidenceSequence
{
    /// <summary>GrowthBook's default tuning: the total sample (both arms) at which decisions are usually made.</summary>
    public const double DefaultTuningN = 5000;

    /// <summary>The confidence sequence of <paramref name="estimate"/> and its always-valid p-value against <paramref name="nullValue"/>.</summary>
    /// <param name="estimate">The estimated effect (absolute or relative lift).</param>
    /// <param name="standardError">Its standard error.</param>
    /// <param name="n">Observations in both arms together (N = n_A + n_B).</param>
    /// <param name="alpha">The error rate the sequence controls over all looks.</param>
    /// <param name="tuningN">N*, where the sequence is tightest.</param>
    /// <param name="nullValue">μ0, the effect under H0.</param>
    public static SequentialResult Compute(double estimate, double standardError, long n, double alpha, double tuningN = DefaultTuningN, double nullValue = 0)
    {
        if (!(alpha > 0 && alpha < 1) || !(tuningN > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"need 0 < α < 1 and N* > 0, got α = {alpha}, N* = {tuningN}");
        }

        if (n < 2 || !(standardError > 0) || !double.IsFinite(standardError))
        {
            return new SequentialResult(double.NegativeInfinity, double.PositiveInfinity, 1.0);
        }

        var l = -2 * Math.Log(alpha);
        var rho2 = (l + Math.Log(l + 1)) / tuningN;
        var nr = (n * rho2) + 1;
        var half = standardError * Math.Sqrt(n) * Math.Sqrt(2 * nr / ((double)n * n * rho2) * Math.Log(Math.Sqrt(nr) / alpha));
        var d = estimate - nullValue;
        var p = MixtureSequentialTest.PValue(d * d / (standardError * standardError), 1, n, alpha, tuningN);
        return new SequentialResult(estimate - half, estimate + half, p);
    }
}
