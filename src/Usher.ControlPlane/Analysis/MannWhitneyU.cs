namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Mann-Whitney U test (statistics.md §3e), asymptotic as scipy's <c>method="asymptotic"</c>:
/// average ranks for ties, σ_U² = n_x n_y/12 · [(n+1) − Σ(t³ − t)/(n(n−1))], continuity correction 0.5.
/// Two-sided: z = (max(U_x, U_y) − μ_U − 0.5)/σ_U, p = 2·P(Z ≥ z) capped at 1. Greater (x stochastically
/// greater than y): z = (U_x − μ_U − 0.5)/σ_U, p = P(Z ≥ z). When every value ties, σ_U = 0 and p = 1.
/// </summary>
internal static class MannWhitneyU
{
    /// <summary>Tests x against y; each sample needs at least one value.</summary>
    public static MannWhitneyResult Test(IReadOnlyList<double> x, IReadOnlyList<double> y, Alternative alternative = Alternative.TwoSided)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0 || y.Count == 0)
        {
            throw new ArgumentException($"Mann-Whitney U needs values in both samples, got {x.Count} and {y.Count}");
        }

        var sortedX = x.ToArray();
        var sortedY = y.ToArray();
        Array.Sort(sortedX);
        Array.Sort(sortedY);
        return TestSorted(sortedX, sortedY, alternative);
    }

    /// <summary>
    /// Tests x against y given each sorted ascending: the ranks come from merging the two, so nothing is
    /// copied. The rank sums and tie terms are sums of halves and integers, exact in a double, so the
    /// result is the same as ranking the pooled values.
    /// </summary>
    public static MannWhitneyResult TestSorted(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Alternative alternative = Alternative.TwoSided)
    {
        if (x.IsEmpty || y.IsEmpty)
        {
            throw new ArgumentException($"Mann-Whitney U needs values in both samples, got {x.Length} and {y.Length}");
        }

        int n1 = x.Length, n2 = y.Length, n = n1 + n2;
        double rankSumX = 0, tieTerm = 0;
        int i = 0, j = 0, rank = 0;
        while (i < n1 || j < n2)
        {
            var fromX = j >= n2 || (i < n1 && x[i] <= y[j]);
            var value = fromX ? x[i] : y[j];
            int inX = 0, inY = 0;
            while (i < n1 && x[i] == value)
            {
                i++;
                inX++;
            }

            while (j < n2 && y[j] == value)
            {
                j++;
                inY++;
            }

            if (inX + inY == 0)
            {
                // NaN equals nothing, itself included: it ranks alone.
                if (fromX)
                {
                    i++;
                    inX++;
                }
                else
                {
                    j++;
                    inY++;
                }
            }

            // The group holds ranks rank+1 … rank+t; each member gets their average.
            double t = inX + inY;
            rankSumX += (rank + ((t + 1) / 2.0)) * inX;
            tieTerm += (t * t * t) - t;
            rank += inX + inY;
        }

        var u1 = rankSumX - (n1 * (n1 + 1) / 2.0);
        var u2 = ((double)n1 * n2) - u1;
        var mu = (double)n1 * n2 / 2.0;
        var sigma = Math.Sqrt((double)n1 * n2 / 12.0 * ((n + 1) - (tieTerm / ((double)n * (n - 1)))));
        if (!(sigma > 0))
        {
            return new MannWhitneyResult(u1, 0, 1.0);
        }

        if (alternative == Alternative.Greater)
        {
            var zGreater = (u1 - mu - 0.5) / sigma;
            return new MannWhitneyResult(u1, zGreater, NormalTail.Upper(zGreater));
        }

        var z = (Math.Max(u1, u2) - mu - 0.5) / sigma;
        return new MannWhitneyResult(u1, z, Math.Min(1.0, 2 * NormalTail.Upper(z)));
    }
}
