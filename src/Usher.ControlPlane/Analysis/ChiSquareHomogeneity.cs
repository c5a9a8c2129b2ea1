namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Pearson χ² test that two samples of counts over the same categories share one distribution (a 2×k
/// contingency table, E_ij = row_i · col_j / N, no Yates correction). Categories empty in both samples
/// take no part; df = (categories taking part) − 1.
/// </summary>
internal static class ChiSquareHomogeneity
{
    /// <summary>Tests whether <paramref name="a"/> and <paramref name="b"/> (counts per category, aligned) differ.</summary>
    public static ChiSquareResult Test(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"the samples have {a.Count} and {b.Count} categories");
        }

        double rowA = 0, rowB = 0;
        var categories = 0;
        for (var i = 0; i < a.Count; i++)
        {
            rowA += a[i];
            rowB += b[i];
            if (a[i] + b[i] > 0)
            {
                categories++;
            }
        }

        if (rowA == 0 || rowB == 0 || categories < 2)
        {
            return new ChiSquareResult(0, Math.Max(0, categories - 1), 1.0);
        }

        var total = rowA + rowB;
        var statistic = 0.0;
        for (var i = 0; i < a.Count; i++)
        {
            double column = a[i] + b[i];
            if (column == 0)
            {
                continue;
            }

            var expectedA = rowA * column / total;
            var expectedB = rowB * column / total;
            statistic += ((a[i] - expectedA) * (a[i] - expectedA) / expectedA) + ((b[i] - expectedB) * (b[i] - expectedB) / expectedB);
        }

        return new ChiSquareResult(statistic, categories - 1, ChiSquareGoodnessOfFit.UpperTail(statistic, categories - 1));
    }
}
