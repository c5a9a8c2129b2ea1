using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Usher.Cli.Bench;

/// <summary>What <c>usher bench</c> measured: the target, and one result per point of the sweep.</summary>
/// <param name="Model">The model loaded.</param>
/// <param name="Protocol"><c>rest</c>, <c>rest-binary</c> or <c>grpc</c>.</param>
/// <param name="Url">Where requests went (the infer URL, or the gRPC address).</param>
/// <param name="RequestBytes">The size of one request as sent (the JSON or binary body, or the protobuf message).</param>
/// <param name="Runs">One result per concurrency (or the one open-loop rate), in the order run.</param>
internal sealed record BenchReport(string Model, string Protocol, string Url, long RequestBytes, IReadOnlyList<BenchResult> Runs)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    /// <summary>The CSV columns, one row per run.</summary>
    public const string CsvHeader =
        "model,protocol,mode,concurrency,rate,duration_s,requests,errors,throughput,mean_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,"
        + "server_queue_p50_ms,server_compute_p50_ms,server_overhead_p50_ms,server_overhead_p99_ms,client_cpu_us_per_request";

    /// <summary>Indented snake_case JSON; NaN (nothing succeeded) written as <c>"NaN"</c>.</summary>
    public void WriteJson(TextWriter writer) => writer.WriteLine(JsonSerializer.Serialize(this, JsonOptions));

    /// <summary>The header and one row per run; empty cells where there is no value.</summary>
    public void WriteCsv(TextWriter writer)
    {
        writer.WriteLine(CsvHeader);
        foreach (var r in Runs)
        {
            var s = r.ServerMs;
            string[] cells =
            [
                Model, Protocol, r.Mode, Number(r.Concurrency), Number(r.Rate), Number(r.DurationSeconds), Number(r.Requests), Number(r.Errors),
                Number(r.Throughput), Number(r.LatencyMs.Mean), Number(r.LatencyMs.P50), Number(r.LatencyMs.P90), Number(r.LatencyMs.P99),
                Number(r.LatencyMs.P999), Number(r.LatencyMs.Max), Number(s?.Queue.P50), Number(s?.Compute.P50), Number(s?.Overhead.P50), Number(s?.Overhead.P99),
                Number(r.ClientCpuUsPerRequest),
            ];
            writer.WriteLine(string.Join(',', cells.Select(c => c.Contains(',', StringComparison.Ordinal) ? $"\"{c}\"" : c)));
        }
    }

    /// <summary>Aligned text: one line per run, then the errors and the server's split.</summary>
    public void WriteTable(TextWriter writer)
    {
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Create(c, $"{Model} over {Protocol} ({Url}), {RequestBytes:N0} bytes a request"));
        writer.WriteLine();
        var rows = new List<string[]> { new[] { "load", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "client CPU µs/req" } };
        foreach (var r in Runs)
        {
            rows.Add(
            [
                Load(r), r.Requests.ToString(c), r.Throughput.ToString("F1", c), Ms(r.LatencyMs.P50), Ms(r.LatencyMs.P90), Ms(r.LatencyMs.P99),
                Ms(r.LatencyMs.P999), Ms(r.LatencyMs.Max), r.Errors.ToString(c), r.ClientCpuUsPerRequest.ToString("F1", c),
            ]);
        }

        WriteAligned(writer, rows);
        foreach (var r in Runs.Where(r => r.ErrorsByStatus.Count > 0))
        {
            writer.WriteLine($"errors at {Load(r)}: " + string.Join(", ", r.ErrorsByStatus.Select(e => string.Create(c, $"{e.Key}: {e.Value}"))));
        }

        writer.WriteLine();
        if (Runs.All(r => r.ServerMs is null))
        {
            writer.WriteLine("server split: the answers carried no Server-Timing header (gRPC answers never do)");
            return;
        }

        writer.WriteLine("server split from Server-Timing (overhead = total - queue - compute), p50 / p99 ms:");
        var split = new List<string[]> { new[] { "load", "answers", "cache hits", "queue", "compute", "overhead", "total" } };
        foreach (var r in Runs.Where(r => r.ServerMs is not null))
        {
            var s = r.ServerMs!;
            split.Add([Load(r), s.Samples.ToString(c), s.CacheHits.ToString(c), Pair(s.Queue), Pair(s.Compute), Pair(s.Overhead), Pair(s.Total)]);
        }

        WriteAligned(writer, split);
    }

    private static string Load(BenchResult r) => r.Rate is { } rate
        ? string.Create(CultureInfo.InvariantCulture, $"rate {rate:0.##}/s")
        : string.Create(CultureInfo.InvariantCulture, $"c={r.Concurrency}");

    private static string Ms(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static string Pair(PercentilePair p) => $"{Ms(p.P50)} / {Ms(p.P99)}";

    private static string Number(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0.######", CultureInfo.InvariantCulture) : string.Empty;

    private static void WriteAligned(TextWriter writer, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            // The first column reads left-aligned, numbers right-aligned.
            writer.WriteLine(string.Join("  ", row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        }
    }
}
