using MathNet.Numerics;

namespace Usher.ControlPlane.Analysis;

/// <summary>
/// A one-sided sequential test of H0: p ≤ p0 for Bernoulli outcomes (x events in n trials): Robbins'
/// mixture likelihood ratio with a uniform prior over the alternative [p0, 1]. Exact (no normal
/// approximation), and always valid: its p-value may be read at every look, from the first trial on.
/// </summary>
/// <remarks>
/// <code>
/// Λ_n = ∫_{p0}^{1} (q/p0)^x · ((1−q)/(1−p0))^(n−x) dq / (1 − p0)
///     = B(x+1, n−x+1) · (1 − I_{p0}(x+1, n−x+1)) / ( (1−p0) · p0^x · (1−p0)^(n−x) ),   p = min(1, 1/Λ_n)
/// </code>
/// B is the beta function and I the regularized incomplete beta function. For every q ≥ p0 the
/// factor one trial adds, (q/p0) or ((1−q)/(1−p0)), has mean p·q/p0 + (1−p)(1−q)/(1−p0) ≤ 1 whenever
/// p ≤ p0 (it is 1 at p = p0 and grows with p), so each (q/p0)^x((1−q)/(1−p0))^(n−x) and their mixture
/// Λ are non-negative supermartingales under H0, and Ville's inequality gives P(sup_n Λ_n ≥ 1/α) ≤ α.
/// Closed forms to check against: x = n gives (1 − p0^(n+1)) / ((n+1)·p0^n·(1−p0)); x = 0 gives 1/(n+1).
/// </remarks>
internal static class BinomialMixtureTest
{
    /// <summary>The always-valid p-value that the event rate is above <paramref name="p0"/>.</summary>
    public static double PValue(long events, long trials, double p0)
    {
        if (!(p0 > 0 && p0 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p0), p0, "p0 must be within (0, 1)");
        }

        if (trials < 1 || events < 0 || events > trials)
        {
            return 1.0;
        }

        double x = events;
        double n = trials;
        var a = x + 1;
        var b = n - x + 1;

        // 1 − I_{p0}(a, b) = I_{1−p0}(b, a): computed directly, so a far tail keeps its precision.
        var upper = SpecialFunctions.BetaRegularized(b, a, 1 - p0);
        if (!(upper > 0))
        {
            return 1.0;
        }

        var logLambda = SpecialFunctions.BetaLn(a, b) + Math.Log(upper) - Math.Log(1 - p0) - (x * Math.Log(p0)) - ((n - x) * Math.Log(1 - p0));
        return logLambda <= 0 ? 1.0 : Math.Exp(-logLambda);
    }
}
