namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Percentiles by linear interpolation between closest ranks, numpy's default
/// (<c>np.percentile(..., method="linear")</c>): h = (n − 1)·q/100, value = x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋+1 − x⌊h⌋).
/// </summary>
internal static class Percentile
{
    /// <summary>The <paramref name="percent"/>-th percentile (0–100) of unsorted values.</summary>
    public static double Of(IReadOnlyList<double> values, double percent)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return OfSorted(sorted, percent);
    }

    /// <summary>The <paramref name="percent"/>-th percentile (0–100) of values sorted ascending.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double percent)
    {
        if (sorted.IsEmpty)
        {
            throw new ArgumentException("a percentile of no values is undefined", nameof(sorted));
        }

        if (!(percent >= 0 && percent <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "percent must be within [0, 100]");
        }

        var h = (sorted.Length - 1) * percent / 100.0;
        var lower = (int)Math.Floor(h);
        if (lower >= sorted.Length - 1)
        {
            return sorted[^1];
        }

        return sorted[lower] + ((h - lower) * (sorted[lower + 1] - sorted[lower]));
    }
}
