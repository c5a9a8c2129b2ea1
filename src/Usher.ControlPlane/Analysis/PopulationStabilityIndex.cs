namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Population stability index, PSI = Σ_bins (a_i − e_i)·ln(a_i/e_i) with e the reference share and a the
/// current share (statistics.md §3f). A share of 0 is replaced by <see cref="EmptyShare"/> (Evidently's
/// rule) so that the logarithm stays finite. Conventional bands: below 0.1 stable, 0.1–0.2 moderate
/// change, 0.2 and above significant.
/// </summary>
internal static class PopulationStabilityIndex
{
    /// <summary>The share an empty bin is given.</summary>
    public const double EmptyShare = 0.0001;

    /// <summary>The number of bins <see cref="FromSamples"/> aims for.</summary>
    public const int Bins = 10;

    /// <summary>PSI over aligned shares (each list summing to 1).</summary>
    public static double FromShares(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        if (reference.Count != current.Count)
        {
            throw new ArgumentException($"{reference.Count} reference shares but {current.Count} current shares");
        }

        var psi = 0.0;
        for (var i = 0; i < reference.Count; i++)
        {
            var e = reference[i] > 0 ? reference[i] : EmptyShare;
            var a = current[i] > 0 ? current[i] : EmptyShare;
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }

    /// <summary>
    /// PSI of two samples of a continuous value. Bins: the edges are the reference sample's deciles
    /// (10th … 90th percentile, <see cref="Percentile"/>), duplicates removed; the first bin is open below,
    /// the last open above, and each bin holds the values x with edge_{k−1} &lt; x ≤ edge_k. So the
    /// reference fills about 10% per bin unless it has heavy ties, which merge bins.
    /// </summary>
    public static double FromSamples(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        var (r, c) = DecileCounts(reference, current);
        return FromCounts(r, c);
    }

    /// <summary>
    /// How many values of each sample fall in each bin of <see cref="FromSamples"/> (the reference's
    /// deciles), aligned: the table a χ² homogeneity test of the same binning takes.
    /// </summary>
    public static (long[] Reference, long[] Current) DecileCounts(IReadOnlyList<double> reference, IReadOnlyList<double> current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        if (reference.Count == 0 || current.Count == 0)
        {
            throw new ArgumentException($"PSI needs values in both samples, got {reference.Count} and {current.Count}");
        }

        var sorted = reference.ToArray();
        Array.Sort(sorted);
        var values = current.ToArray();
        return DecileCountsOfSorted(sorted, values);
    }

    /// <summary>
    /// <see cref="DecileCounts"/> of a reference sample sorted ascending and a current sample in any
    /// order, without copying either.
    /// </summary>
    public static (long[] Reference, long[] Current) DecileCountsOfSorted(ReadOnlySpan<double> sortedReference, ReadOnlySpan<double> current)
    {
        if (sortedReference.IsEmpty || current.IsEmpty)
        {
            throw new ArgumentException($"PSI needs values in both samples, got {sortedReference.Length} and {current.Length}");
        }

        Span<double> edges = stackalloc double[Bins - 1];
        var count = 0;
        for (var k = 1; k < Bins; k++)
        {
            var edge = Percentile.OfSorted(sortedReference, k * 100.0 / Bins);
            if (count == 0 || edge > edges[count - 1])
            {
                edges[count++] = edge;
            }
        }

        return (Counts(sortedReference, edges[..count]), Counts(current, edges[..count]));
    }

    /// <summary>PSI from aligned bin counts (each sample's shares are its counts over their total).</summary>
    public static double FromCounts(long[] reference, long[] current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        return FromShares(Shares(reference, reference.Sum()), Shares(current, current.Sum()));
    }

    /// <summary>PSI of two samples of labels, one bin per label seen in either sample.</summary>
    public static double FromLabels(IReadOnlyList<string> reference, IReadOnlyList<string> current)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        if (reference.Count == 0 || current.Count == 0)
        {
            throw new ArgumentException($"PSI needs labels in both samples, got {reference.Count} and {current.Count}");
        }

        var table = LabelTable.From(reference, current);
        return FromShares(table.SharesA, table.SharesB);
    }

    private static long[] Counts(ReadOnlySpan<double> values, ReadOnlySpan<double> edges)
    {
        var counts = new long[edges.Length + 1];
        foreach (var value in values)
        {
            // The bin is the number of edges strictly below the value (edges are strictly increasing).
            var bin = 0;
            while (bin < edges.Length && edges[bin] < value)
            {
                bin++;
            }

            counts[bin]++;
        }

        return counts;
    }

    private static double[] Shares(long[] counts, long total) => [.. counts.Select(c => (double)c / total)];
}
