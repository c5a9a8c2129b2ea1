using Usher.LoadGenerator.Load;

namespace Usher.LoadGenerator.Reporting;

/// <summary>
/// One measured point (model, server, concurrency) over every round of a run: the median of each
/// figure across rounds, so that one slow stretch of a shared machine does not decide a verdict.
/// </summary>
internal sealed class Point(IReadOnlyList<BenchmarkRecord> rounds)
{
    public IReadOnlyList<BenchmarkRecord> Rounds { get; } = rounds;

    public double RequestsPerSecond => Median(r => r.RequestsPerSecond);

    public double MinRequestsPerSecond => Rounds.Min(r => r.Result.RequestsPerSecond);

    public double MaxRequestsPerSecond => Rounds.Max(r => r.Result.RequestsPerSecond);

    public double P50 => Median(r => r.LatencyMs.P50);

    public double P90 => Median(r => r.LatencyMs.P90);

    public double P99 => Median(r => r.LatencyMs.P99);

    public long Errors => Rounds.Sum(r => r.Result.Errors);

    public IEnumerable<KeyValuePair<string, long>> ErrorsByStatus => Rounds
        .SelectMany(r => r.Result.ErrorsByStatus)
        .GroupBy(e => e.Key, StringComparer.Ordinal)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => KeyValuePair.Create(g.Key, g.Sum(e => e.Value)));

    /// <summary>Server overhead medians across the rounds that reported it; null when none did.</summary>
    public (double P50, double P99, long Samples)? ServerOverhead
    {
        get
        {
            var reported = Rounds.Select(r => r.Result.ServerOverheadMs).OfType<OverheadSummary>().ToList();
            return reported.Count == 0
                ? null
                : (MedianOf(reported.Select(o => o.P50)), MedianOf(reported.Select(o => o.P99)), reported.Sum(o => o.Samples));
        }
    }

    /// <summary>
    /// This point's throughput over <paramref name="other"/>'s, round by round (rounds measured at
    /// about the same time are paired): the median, the smallest and the largest; null when no round pairs.
    /// </summary>
    public (double Median, double Min, double Max)? ThroughputRatio(Point? other)
    {
        if (other is null)
        {
            return null;
        }

        var ratios = Rounds
            .Join(other.Rounds, r => r.Round, o => o.Round, (r, o) => (r.Result.RequestsPerSecond, Other: o.Result.RequestsPerSecond))
            .Where(p => p.Other > 0)
            .Select(p => p.RequestsPerSecond / p.Other)
            .ToList();
        return ratios.Count == 0 ? null : (MedianOf(ratios), ratios.Min(), ratios.Max());
    }

    private double Median(Func<LoadResult, double> figure) => MedianOf(Rounds.Select(r => figure(r.Result)));

    /// <summary>The median (the mean of the middle two for an even count), ignoring NaN; NaN when nothing is left.</summary>
    internal static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
