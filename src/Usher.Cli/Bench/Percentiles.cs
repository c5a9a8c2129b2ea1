namespace Usher.Cli.Bench;

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

        // The epsilon keeps 99.9% of 1000 at rank 999, where floating point would give 999.0000000000001.
        var rank = (int)Math.Ceiling((percent * sorted.Length / 100.0) - 1e-9);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
