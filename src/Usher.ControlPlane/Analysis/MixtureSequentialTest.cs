namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The normal-mixture sequential probability ratio test (mSPRT, statistics.md §3b) for a statistic
/// that is asymptotically χ² with d degrees of freedom under H0: a squared z-statistic (d = 1), or a
/// Pearson χ² of a 2×k table (d = k − 1). Always valid: its p-value may be read at every look.
/// </summary>
/// <remarks>
/// With N the observations of both samples together and GrowthBook's tuning
/// ρ² = (−2 ln α + ln(−2 ln α + 1)) / N* (N* = the sample at which decisions are usually made),
/// <code>
/// E_N = (N·ρ² + 1)^(−d/2) · exp( ρ²·N·χ² / (2·(N·ρ² + 1)) ),   p = min(1, 1/E_N)
/// </code>
/// This is the likelihood ratio of a N(0, ρ²·I) mixture over the standardized effect against 0. For
/// d = 1 and χ² = z² = (est − μ0)²/SE² it is exactly GrowthBook's E = exp(ρ²S²/(2(Nρ²+1)))/sqrt(Nρ²+1)
/// with S² = N·z², and with ρ² = τ²/σ² Johari et al.'s mSPRT
/// Λ_n = sqrt(σ²/(σ²+nτ²))·exp(n²τ²ȳ²/(2σ²(σ²+nτ²))). Under H0, E is (asymptotically) a non-negative
/// martingale with mean 1, so by Ville's inequality P(sup_N E_N ≥ 1/α) ≤ α: rejecting whenever
/// p ≤ α, at any tick, holds the false-alarm rate at α over all looks together.
/// </remarks>
internal static class MixtureSequentialTest
{
    /// <summary>The always-valid p-value of <paramref name="chiSquare"/> after <paramref name="n"/> observations.</summary>
    /// <param name="chiSquare">z² (d = 1) or Pearson's χ² (d = categories − 1).</param>
    /// <param name="degreesOfFreedom">d, at least 1.</param>
    /// <param name="n">Observations in both samples together.</param>
    /// <param name="alpha">The level the test is tuned for (it sets ρ²).</param>
    /// <param name="tuningN">N*, where the test is most sensitive.</param>
    public static double PValue(double chiSquare, int degreesOfFreedom, long n, double alpha, double tuningN)
    {
        if (!(alpha > 0 && alpha < 1) || !(tuningN > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), $"need 0 < α < 1 and N* > 0, got α = {alpha}, N* = {tuningN}");
        }

        if (n < 2 || degreesOfFreedom < 1 || !(chiSquare > 0) || double.IsNaN(chiSquare))
        {
            return 1.0;
        }

        var l = -2 * Math.Log(alpha);
        var rho2 = (l + Math.Log(l + 1)) / tuningN;
        var nr = (n * rho2) + 1;

        // ln E, so that a decisive effect does not overflow exp().
        var logE = (rho2 * n * chiSquare / (2 * nr)) - (0.5 * degreesOfFreedom * Math.Log(nr));
        return logE <= 0 ? 1.0 : Math.Exp(-logE);
    }
}
