namespace Usher.Core.Telemetry;

/// <summary>
/// A histogram with fixed upper-inclusive bucket bounds over whole numbers (TimeSpan ticks for the
/// latencies, rows for batch sizes): one interlocked increment and one interlocked add per value,
/// nothing allocated, no lock. Read at scrape time; a read beside a writer may see the value in
/// the bucket before it is in the sum (the same tolerance as any lock-free exporter).
/// </summary>
internal sealed class FixedHistogram
{
    private readonly long[] _bounds;
    private readonly long[] _counts;
    private long _sum;

    /// <param name="bounds">Upper bounds, ascending; a value equal to a bound falls in that bucket (Prometheus <c>le</c>).</param>
    public FixedHistogram(long[] bounds)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    /// <summary>Buckets, the last one for values above every bound.</summary>
    public int Buckets => _counts.Length;

    /// <summary>Counts one value.</summary>
    public void Record(long value)
    {
        // Linear: the bounds are few, and most values fall in the first buckets.
        var bounds = _bounds;
        var i = 0;
        while (i < bounds.Length && value > bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sum, value);
    }

    /// <summary>Copies the per-bucket counts (not cumulative) into <paramref name="counts"/> and returns the sum of the values.</summary>
    public long Read(Span<long> counts)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _counts[i]);
        }

        return Interlocked.Read(ref _sum);
    }
}
