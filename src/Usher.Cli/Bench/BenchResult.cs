using System.Diagnostics;

namespace Usher.Cli.Bench;

/// <summary>The summary of one measured point (as <c>--output json</c> writes it, in snake_case).</summary>
/// <param name="Mode"><c>closed</c> (a fixed concurrency) or <c>open</c> (Poisson arrivals at a rate).</param>
/// <param name="Concurrency">Closed loop: workers; open loop: the most requests in flight at once.</param>
/// <param name="Rate">Open loop: the requests per second asked for; null for a closed loop.</param>
/// <param name="WarmupSeconds">Warm-up, not recorded.</param>
/// <param name="DurationSeconds">The measured window.</param>
/// <param name="Requests">Requests counted in the measured window, failures included.</param>
/// <param name="Throughput">Successful answers per second of the measured window.</param>
/// <param name="Errors">Failed requests in the window.</param>
/// <param name="ErrorsByStatus">Failures by HTTP status code, gRPC status (<c>grpc-Unavailable</c>) or kind (<c>timeout</c>, <c>ConnectionError</c>).</param>
/// <param name="LatencyMs">Latency of the successful requests, in milliseconds, as the client saw it.</param>
/// <param name="ServerMs">The server's split from <c>Server-Timing</c>; null when the answers carried none (gRPC, or another server).</param>
/// <param name="Answered">Every answer of the point, warm-up included.</param>
/// <param name="ClientCpuUsPerRequest">
/// CPU time of this process (all threads) per answer, warm-up included, in microseconds: what the load
/// generator itself costs, so its ceiling on a machine is cores / this (when it has the machine to itself).
/// </param>
internal sealed record BenchResult(
    string Mode,
    int Concurrency,
    double? Rate,
    double WarmupSeconds,
    double DurationSeconds,
    long Requests,
    double Throughput,
    long Errors,
    IReadOnlyDictionary<string, long> ErrorsByStatus,
    LatencySummary LatencyMs,
    ServerSummary? ServerMs,
    long Answered,
    double ClientCpuUsPerRequest)
{
    public static BenchResult Summarize(BenchSettings settings, IReadOnlyList<WorkerRecorder> recorders, long answered, TimeSpan clientCpu)
    {
        var latencies = new double[recorders.Sum(r => r.LatencyTicks.Count)];
        var splits = new List<ServerSplit>(recorders.Sum(r => r.Splits.Count));
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var l = 0;
        long requests = 0;
        var msPerTick = 1000.0 / Stopwatch.Frequency;
        foreach (var recorder in recorders)
        {
            requests += recorder.Completed;
            foreach (var ticks in recorder.LatencyTicks)
            {
                latencies[l++] = ticks * msPerTick;
            }

            splits.AddRange(recorder.Splits);
            foreach (var (reason, count) in recorder.Errors)
            {
                errors[reason] = errors.GetValueOrDefault(reason) + count;
            }
        }

        Array.Sort(latencies);
        var latency = new LatencySummary(
            latencies.Length == 0 ? double.NaN : latencies.Average(),
            Percentiles.NearestRank(latencies, 50),
            Percentiles.NearestRank(latencies, 90),
            Percentiles.NearestRank(latencies, 99),
            Percentiles.NearestRank(latencies, 99.9),
            latencies.Length == 0 ? double.NaN : latencies[^1]);
        return new BenchResult(
            settings.OpenLoop ? "open" : "closed",
            settings.Concurrency,
            settings.Rate,
            settings.Warmup.TotalSeconds,
            settings.Duration.TotalSeconds,
            requests,
            latencies.Length / settings.Duration.TotalSeconds,
            errors.Values.Sum(),
            errors,
            latency,
            ServerSummary.Of(splits),
            answered,
            answered == 0 ? double.NaN : clientCpu.TotalMicroseconds / answered);
    }
}
