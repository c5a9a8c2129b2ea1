namespace Usher.Cli.Profile;

/// <summary>How far apart a point's repeated measurements were: the lowest and highest of each figure.</summary>
/// <param name="Runs">How many times the point was measured.</param>
/// <param name="ThroughputLow">The lowest predicted throughput of the runs, answers per second.</param>
/// <param name="ThroughputHigh">The highest.</param>
/// <param name="P99LowMs">The lowest p99 of the runs, milliseconds.</param>
/// <param name="P99HighMs">The highest.</param>
internal sealed record RunSpread(int Runs, double ThroughputLow, double ThroughputHigh, double P99LowMs, double P99HighMs)
{
    /// <summary>The width of the throughput's range: how much the same point moved between its runs.</summary>
    public double Throughput => ThroughputHigh - ThroughputLow;
}
