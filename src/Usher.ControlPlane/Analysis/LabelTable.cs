namespace Usher.ControlPlane.Analysis;

/// <summary>Counts and shares of two samples of labels over the union of their labels, in ordinal order.</summary>
/// <param name="Labels">Every label seen in either sample, sorted ordinally.</param>
/// <param name="CountsA">Occurrences of each label in the first sample.</param>
/// <param name="CountsB">Occurrences of each label in the second sample.</param>
/// <param name="SharesA">CountsA over the first sample's size.</param>
/// <param name="SharesB">CountsB over the second sample's size.</param>
internal sealed record LabelTable(
    IReadOnlyList<string> Labels, IReadOnlyList<long> CountsA, IReadOnlyList<long> CountsB,
    IReadOnlyList<double> SharesA, IReadOnlyList<double> SharesB)
{
    /// <summary>Tabulates two samples of labels.</summary>
    public static LabelTable From(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var labels = a.Concat(b).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < labels.Length; i++)
        {
            index[labels[i]] = i;
        }

        var countsA = new long[labels.Length];
        var countsB = new long[labels.Length];
        foreach (var label in a)
        {
            countsA[index[label]]++;
        }

        foreach (var label in b)
        {
            countsB[index[label]]++;
        }

        return new LabelTable(labels, countsA, countsB, Share(countsA, a.Count), Share(countsB, b.Count));
    }

    private static double[] Share(long[] counts, int total) =>
        counts.Select(c => total == 0 ? 0.0 : (double)c / total).ToArray();
}
