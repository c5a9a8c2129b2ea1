using MathNet.Numerics;

namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Pearson χ² goodness of fit of observed counts to expected weights (statistics.md §3d, the SRM
/// check): E_i = w_i/Σw · N, df = k − 1. As GrowthBook's <c>check_srm</c>, categories with weight ≤ 0
/// take no part, and no observations at all give p = 1.
/// </summary>
internal static class ChiSquareGoodnessOfFit
{
    /// <summary>Tests <paramref name="observed"/> against <paramref name="expectedWeights"/> (any positive scale).</summary>
    public static ChiSquareResult Test(IReadOnlyList<long> observed, IReadOnlyList<double> expectedWeights)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentNullException.ThrowIfNull(expectedWeights);
        if (observed.Count != expectedWeights.Count)
        {
            throw new ArgumentException($"{observed.Count} observed counts but {expectedWeights.Count} expected weights");
        }

        double total = 0, weightSum = 0;
        var categories = 0;
        for (var i = 0; i < observed.Count; i++)
        {
            if (observed[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(observed), "observed counts cannot be negative");
            }

            if (expectedWeights[i] > 0)
            {
                total += observed[i];
                weightSum += expectedWeights[i];
                categories++;
            }
        }

        if (categories < 2 || total == 0)
        {
            return new ChiSquareResult(0, Math.Max(0, categories - 1), 1.0);
        }

        var statistic = 0.0;
        for (var i = 0; i < observed.Count; i++)
        {
            if (expectedWeights[i] > 0)
            {
                var expected = expectedWeights[i] / weightSum * total;
                var d = observed[i] - expected;
                statistic += d * d / expected;
            }
        }

        return new ChiSquareResult(statistic, categories - 1, UpperTail(statistic, categories - 1));
    }

    /// <summary>P(χ²_df ≥ x) through the regularized upper incomplete gamma, precise for small p.</summary>
    internal static double UpperTail(double x, int degreesOfFreedom) =>
        x <= 0 ? 1.0 : SpecialFunctions.GammaUpperRegularized(degreesOfFreedom / 2.0, x / 2.0);
}
