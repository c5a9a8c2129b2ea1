namespace Usher.Cli.Profile;

/// <summary>What one <c>usher bench</c> run against a point's server reported (its <c>--output json</c>).</summary>
/// <param name="Throughput">Successful answers per second of the measured window.</param>
/// <param name="P50Ms">Median latency as the client saw it, milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency, milliseconds.</param>
/// <param name="Errors">Failed requests in the window.</param>
/// <param name="Answered">Every answer, warm-up included.</param>
/// <param name="ClientCpuUsPerRequest">The client's CPU per answer, microseconds.</param>
internal sealed record ClientRun(double Throughput, double P50Ms, double P99Ms, long Errors, long Answered, double ClientCpuUsPerRequest);
