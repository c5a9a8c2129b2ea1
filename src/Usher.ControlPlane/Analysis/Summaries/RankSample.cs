namespace Usher.ControlPlane.Analysis.Summaries;

/// <summary>
/// Values given as runs (a value and how many times it occurs, ascending) read out as a sample of at
/// most <c>max</c> values that keeps their quantiles: of the N values the runs hold, the j-th of the
/// n = min(N, max) values read is the one at rank ⌊(j + ½)·N / n⌋ (0-based). With N ≤ max that is rank
/// j: every value, once.
/// </summary>
internal static class RankSample
{
    /// <summary>Reads the sample.</summary>
    /// <param name="runs">The values and their counts, in the order the sample is to have.</param>
    /// <param name="total">The sum of the counts.</param>
    /// <param name="max">The most values to read.</param>
    public static T[] Read<T>(IEnumerable<(T Value, long Count)> runs, long total, int max)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var size = (int)Math.Min(total, max);
        var values = new T[size];
        long seen = 0;
        var at = 0;
        foreach (var (value, count) in runs)
        {
            seen += count;
            while (at < size && Rank(at, total, size) < seen)
            {
                values[at++] = value;
            }
        }

        return values;
    }

    private static long Rank(int j, long total, int size) => size == total ? j : (long)((j + 0.5) * total / size);
}
