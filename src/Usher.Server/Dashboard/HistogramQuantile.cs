namespace Usher.Server.Dashboard;

/// <summary>
/// A quantile of a bucketed histogram, estimated as Prometheus's <c>histogram_quantile</c> does:
/// find the bucket holding the rank, then interpolate linearly inside it (the first bucket starts at 0;
/// a rank in the overflow bucket answers the highest finite bound).
/// </summary>
internal static class HistogramQuantile
{
    /// <summary>
    /// The <paramref name="q"/>-quantile of <paramref name="counts"/> (one count per bucket, not cumulative;
    /// bucket i holds values at most <paramref name="bounds"/>[i], the last one everything above), or
    /// null when the histogram is empty.
    /// </summary>
    public static double? Estimate(IReadOnlyList<double> bounds, ReadOnlySpan<long> counts, double q)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        if (counts.Length != bounds.Count + 1)
        {
            throw new ArgumentException($"expected {bounds.Count + 1} bucket counts, got {counts.Length}", nameof(counts));
        }

        long total = 0;
        foreach (var c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = q * total;
        long below = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] == 0 || below + counts[i] < rank)
            {
                below += counts[i];
                continue;
            }

            if (i == bounds.Count)
            {
                return bounds[^1];
            }

            var lower = i == 0 ? 0 : bounds[i - 1];
            return lower + ((bounds[i] - lower) * (rank - below) / counts[i]);
        }

        return bounds[^1];
    }

    /// <summary>The index of the bucket that holds <paramref name="value"/>: the first bound at or above it, else the overflow bucket.</summary>
    public static int BucketOf(IReadOnlyList<double> bounds, double value)
    {
        for (var i = 0; i < bounds.Count; i++)
        {
            if (value <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Count;
    }
}
