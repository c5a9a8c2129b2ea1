namespace Usher.Core.Telemetry;

/// <summary>One version's autoscaling signals, read at scrape time (docs/metrics.md defines each).</summary>
/// <param name="Instances">Executor instances running now.</param>
/// <param name="Utilization">Busy time / instance time over the recent window, 0 to 1.</param>
/// <param name="EstimatedWait">Queue depth × recent time per request / instances.</param>
/// <param name="Saturation">max(utilisation against the most instances the version may run, queue fill), 0 to 1.</param>
internal readonly record struct LoadSignals(int Instances, double Utilization, TimeSpan EstimatedWait, double Saturation);
