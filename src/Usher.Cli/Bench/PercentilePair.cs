namespace Usher.Cli.Bench;

/// <summary>The p50 and p99 of one part of the server's time, in milliseconds.</summary>
internal sealed record PercentilePair(double P50, double P99)
{
    public static PercentilePair Of(double[] values)
    {
        Array.Sort(values);
        return new PercentilePair(Percentiles.NearestRank(values, 50), Percentiles.NearestRank(values, 99));
    }
}
