using System.Diagnostics;

namespace Usher.LoadGenerator.Load;

/// <summary>The summary of one run, as printed (and as <c>--json</c> writes it, in snake_case).</summary>
/// <param name="Url">The endpoint.</param>
/// <param name="Concurrency">Workers.</param>
/// <param name="WarmupSeconds">Warm-up, not recorded.</param>
/// <param name="DurationSeconds">The measured window.</param>
/// <param name="Requests">Requests started and answered inside the measured window, failures included.</param>
/// <param name="RequestsPerSecond">Successful (2xx) answers per second of the measured window.</param>
/// <param name="Errors">Failed requests in the window.</param>
/// <param name="ErrorsByStatus">Failures by HTTP status code or by failure kind (<c>timeout</c>, <c>ConnectionError</c>, ...).</param>
/// <param name="LatencyMs">Latency of the successful requests, in milliseconds.</param>
/// <param name="ServerOverheadMs">total - queue - compute from <c>Server-Timing</c>; null when the server sent none.</param>
internal sealed record LoadResult(
    string Url,
    int Concurrency,
    double WarmupSeconds,
    double DurationSeconds,
    long Requests,
    double RequestsPerSecond,
    long Errors,
    IReadOnlyDictionary<string, long> ErrorsByStatus,
    LatencySummary LatencyMs,
    OverheadSummary? ServerOverheadMs)
{
    public static LoadResult Summarize(LoadSettings settings, IReadOnlyList<WorkerRecorder> recorders)
    {
        var latencies = new double[recorders.Sum(r => r.LatencyTicks.Count)];
        var overheads = new double[recorders.Sum(r => r.ServerOverheadMs.Count)];
        var errors = new SortedDictionary<string, long>(StringComparer.Ordinal);
        int l = 0, o = 0;
        long requests = 0;
        var msPerTick = 1000.0 / Stopwatch.Frequency;
        foreach (var recorder in recorders)
        {
            requests += recorder.Completed;
            foreach (var ticks in recorder.LatencyTicks)
            {
                latencies[l++] = ticks * msPerTick;
            }

            recorder.ServerOverheadMs.CopyTo(overheads, o);
            o += recorder.ServerOverheadMs.Count;
            foreach (var (reason, count) in recorder.Errors)
            {
                errors[reason] = errors.GetValueOrDefault(reason) + count;
            }
        }

        Array.Sort(latencies);
        Array.Sort(overheads);
        var latency = new LatencySummary(
            latencies.Length == 0 ? double.NaN : latencies.Average(),
            Percentiles.NearestRank(latencies, 50),
            Percentiles.NearestRank(latencies, 90),
            Percentiles.NearestRank(latencies, 99),
            latencies.Length == 0 ? double.NaN : latencies[^1]);
        var overhead = overheads.Length == 0
            ? null
            : new OverheadSummary(overheads.Length, Percentiles.NearestRank(overheads, 50), Percentiles.NearestRank(overheads, 99));
        return new LoadResult(
            settings.Url.ToString(),
            settings.Concurrency,
            settings.WarmupSeconds,
            settings.DurationSeconds,
            requests,
            latencies.Length / settings.DurationSeconds,
            errors.Values.Sum(),
            errors,
            latency,
            overhead);
    }
}

/// <summary>Latency percentiles in milliseconds (NaN when nothing succeeded).</summary>
internal sealed record LatencySummary(double Mean, double P50, double P90, double P99, double Max);

/// <summary>Percentiles of the server's own overhead in milliseconds, over <paramref name="Samples"/> answers.</summary>
internal sealed record OverheadSummary(long Samples, double P50, double P99);
