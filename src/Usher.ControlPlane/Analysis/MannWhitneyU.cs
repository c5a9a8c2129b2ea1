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

        int n1 = x.Count, n2 = y.Count, n = n1 + n2;
        var pooled = new (double Value, bool FromX)[n];
        for (var i = 0; i < n1; i++)
        {
            pooled[i] = (x[i], true);
        }

        for (var i = 0; i < n2; i++)
        {
            pooled[n1 + i] = (y[i], false);
        }

        Array.Sort(pooled, (l, r) => l.Value.CompareTo(r.Value));

        double rankSumX = 0, tieTerm = 0;
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && pooled[end + 1].Value == pooled[start].Value)
            {
                end++;
            }

            var averageRank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                if (pooled[k].FromX)
                {
                    rankSumX += averageRank;
                }
            }

            double t = end - start + 1;
            tieTerm += (t * t * t) - t;
            start = end + 1;
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
