namespace Usher.Cli.Bench;

/// <summary>Client-side latency in milliseconds (NaN when nothing succeeded).</summary>
internal sealed record LatencySummary(double Mean, double P50, double P90, double P99, double P999, double Max);
