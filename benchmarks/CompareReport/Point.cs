using System.Text.Json;

namespace CompareReport;

/// <summary>
/// One measured point: a model on a server over a protocol at a concurrency, from <c>usher bench --output json</c>;
/// <see cref="Round"/> is the target round it belongs to (null: the sweep).
/// </summary>
internal sealed record Point(
    string Model,
    string Server,
    string Protocol,
    bool Open,
    double? Rate,
    int Concurrency,
    double Throughput,
    double P50,
    double P99,
    double P999,
    long Errors,
    string ErrorDetail,
    double WarmupSeconds,
    double DurationSeconds,
    ServerTime? Split,
    double ServerCpuUs,
    double ClientCpuUs,
    int? Round = null)
{
    /// <summary>The points of one results line (one per run of its report).</summary>
    public static IEnumerable<Point> Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var report = root.GetProperty("report");
        var model = root.GetProperty("model").GetString()!;
        var server = root.GetProperty("server").GetString()!;
        var protocol = report.GetProperty("protocol").GetString()!;
        var serverCpu = root.TryGetProperty("server_cpu_seconds", out var cpu) ? cpu.GetDouble() : double.NaN;
        int? round = root.TryGetProperty("round", out var r) ? r.GetInt32() : null;
        foreach (var run in report.GetProperty("runs").EnumerateArray())
        {
            var latency = run.GetProperty("latency_ms");
            var split = run.GetProperty("server_ms");
            var errors = run.GetProperty("errors_by_status").EnumerateObject().Select(e => $"{e.Name}: {e.Value.GetInt64()}");
            yield return new Point(
                model,
                server,
                protocol,
                run.GetProperty("mode").GetString() == "open",
                run.GetProperty("rate").ValueKind == JsonValueKind.Number ? run.GetProperty("rate").GetDouble() : null,
                run.GetProperty("concurrency").GetInt32(),
                Number(run.GetProperty("throughput")),
                Number(latency.GetProperty("p50")),
                Number(latency.GetProperty("p99")),
                Number(latency.GetProperty("p999")),
                run.GetProperty("errors").GetInt64(),
                string.Join(", ", errors),
                Number(run.GetProperty("warmup_seconds")),
                Number(run.GetProperty("duration_seconds")),
                split.ValueKind == JsonValueKind.Null ? null : new ServerTime(
                    split.GetProperty("samples").GetInt64(),
                    split.GetProperty("cache_hits").GetInt64(),
                    Number(split.GetProperty("overhead").GetProperty("p50")),
                    Number(split.GetProperty("overhead").GetProperty("p99")),
                    Number(split.GetProperty("queue").GetProperty("p50")),
                    Number(split.GetProperty("compute").GetProperty("p50")),
                    split.TryGetProperty("total", out var total) ? Number(total.GetProperty("p99")) : double.NaN),
                PerAnswer(serverCpu * 1e6, run.GetProperty("answered").GetInt64()),
                Number(run.GetProperty("client_cpu_us_per_request")),
                round);
        }
    }

    private static double PerAnswer(double total, long answered) => answered > 0 ? total / answered : double.NaN;

    // usher bench writes NaN (nothing succeeded) as a string.
    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String ? double.NaN : e.GetDouble();
}
