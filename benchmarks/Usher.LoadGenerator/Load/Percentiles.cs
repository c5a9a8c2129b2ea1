namespace Usher.LoadGenerator.Load;

/// <summary>Nearest-rank percentiles of a sorted sample.</summary>
internal static class Percentiles
{
    /// <summary>The smallest value with at least <paramref name="percent"/>% of the sample at or below it; NaN when empty.</summary>
    public static double NearestRank(ReadOnlySpan<double> sorted, double percent)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
