using System.Globalization;
using System.Text;

namespace Usher.LoadGenerator.Reporting;

/// <summary>
/// Writes <c>docs/benchmarks.md</c> from one run's records: the machine, a table per model, and each
/// target next to its measured ratio with MET or MISSED.
/// </summary>
internal sealed class MarkdownReport(IReadOnlyList<BenchmarkRecord> records, MachineInfo machine, ReportContext context)
{
    public const double BatchingThroughputTarget = 2.0;
    public const double HttpLimitTarget = 0.7;
    private const string FraudModel = "fraud";
    private const string LargeModel = "mlp-large";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public string Render()
    {
        var md = new StringBuilder();
        Line(md, "# Benchmarks");
        Line(md);
        Line(md, "Whole-server load runs, measured side by side in one run on one machine: a closed-loop client");
        Line(md, "(`benchmarks/Usher.LoadGenerator`) against Usher with dynamic batching off, Usher with dynamic");
        Line(md, "batching on, and `benchmarks/BareKestrel` (the same HTTP and JSON work without inference: the");
        Line(md, "HTTP limit). Written by `benchmarks/run-load.sh`; rerun it rather than editing this file.");
        if (context.Quick)
        {
            Line(md);
            Line(md, "**Smoke run (`--quick`): seconds-long runs that check the harness, not a measurement.**");
        }

        Line(md);
        Line(md, "## Machine and run");
        Line(md);
        Line(md, $"- CPU: {machine.CpuModel}, {machine.LogicalCores} logical cores (the load generator shares them with the server)");
        Line(md, $"- OS: {machine.Os}");
        Line(md, $"- .NET: {machine.Runtime}" + (context.Sdk is null ? string.Empty : $", SDK {context.Sdk}"));
        Line(md, $"- Date: {context.Date.ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant)}");
        Line(md, $"- Command: `{context.Command}`");
        if (records.Count > 0)
        {
            var first = records[0].Result;
            Line(md, F($"- Each point: {first.DurationSeconds:0.###} s measured after {first.WarmupSeconds:0.###} s of warm-up; configurations interleaved per concurrency"));
        }

        Line(md, "- Usher batching off: `max_batch_size: 64`, no `dynamic_batching`; batching on: the same plus");
        Line(md, "  `dynamic_batching: { max_queue_delay_microseconds: 2000 }`. Bodies: one row of deterministic floats");
        Line(md, "  (30 for `fraud`, 1024 for `mlp-large`).");
        Line(md);

        WriteTargets(md);
        foreach (var model in records.Select(r => r.Model).Distinct(StringComparer.Ordinal))
        {
            WriteModel(md, model);
        }

        WriteOverhead(md);
        return md.ToString();
    }

    private void WriteTargets(StringBuilder md)
    {
        Line(md, "## Targets");
        Line(md);
        Line(md, "| Target | Measured | Verdict |");
        Line(md, "|---|---|---|");

        var largeTop = records.Where(r => r.Model == LargeModel).Select(r => r.Concurrency).DefaultIfEmpty(64).Max();
        var off = Find(LargeModel, BenchmarkRecord.BatchingOff, largeTop);
        var on = Find(LargeModel, BenchmarkRecord.BatchingOn, largeTop);
        var throughput = Ratio(on, off);
        Line(md, F($"| `{LargeModel}`, concurrency {largeTop}: throughput batching on / off ≥ {BatchingThroughputTarget:0.0}x | {Times(throughput)} | {Verdict(throughput, r => r >= BatchingThroughputTarget)} |"));
        var p99On = on?.Result.LatencyMs.P99;
        var p99Off = off?.Result.LatencyMs.P99;
        var p99Measured = p99On is null || p99Off is null ? "not measured" : $"{Ms(p99On.Value)} ms on, {Ms(p99Off.Value)} ms off";
        var p99Verdict = p99On is null || p99Off is null || double.IsNaN(p99On.Value) || double.IsNaN(p99Off.Value)
            ? "NOT MEASURED"
            : p99On <= p99Off ? "MET" : "MISSED";
        Line(md, F($"| `{LargeModel}`, concurrency {largeTop}: p99 batching on ≤ p99 batching off | {p99Measured} | {p99Verdict} |"));

        foreach (var concurrency in Concurrencies(FraudModel))
        {
            var usher = Find(FraudModel, BenchmarkRecord.BatchingOff, concurrency);
            var bare = Find(FraudModel, BenchmarkRecord.Bare, concurrency);
            var ratio = Ratio(usher, bare);
            Line(md, F($"| `{FraudModel}`, concurrency {concurrency}: throughput Usher (batching off) / bare Kestrel ≥ {HttpLimitTarget:0.0}x | {Times(ratio)} | {Verdict(ratio, r => r >= HttpLimitTarget)} |"));
        }

        Line(md);
        Line(md, "For information (no target): `fraud` throughput of Usher with batching on / bare Kestrel: "
            + string.Join(", ", Concurrencies(FraudModel).Select(c => F($"{Times(Ratio(Find(FraudModel, BenchmarkRecord.BatchingOn, c), Find(FraudModel, BenchmarkRecord.Bare, c)))} at {c}"))) + ".");
        Line(md);
    }

    private void WriteModel(StringBuilder md, string model)
    {
        Line(md, $"## `{model}`");
        Line(md);
        Line(md, "| Concurrency | Server | Requests/s | p50 ms | p90 ms | p99 ms | Errors |");
        Line(md, "|---:|---|---:|---:|---:|---:|---|");
        foreach (var record in records.Where(r => r.Model == model).OrderBy(r => r.Concurrency).ThenBy(r => ConfigOrder(r.Config)))
        {
            var r = record.Result;
            var errors = r.Errors == 0 ? "0" : F($"{r.Errors} ({string.Join(", ", r.ErrorsByStatus.Select(e => $"{e.Key}: {e.Value}"))})");
            Line(md, F($"| {record.Concurrency} | {BenchmarkRecord.Describe(record.Config)} | {r.RequestsPerSecond:F1} | {Ms(r.LatencyMs.P50)} | {Ms(r.LatencyMs.P90)} | {Ms(r.LatencyMs.P99)} | {errors} |"));
        }

        Line(md);
    }

    private void WriteOverhead(StringBuilder md)
    {
        Line(md, "## Server overhead");
        Line(md);
        var usher = records.Where(r => r.Config != BenchmarkRecord.Bare).ToList();
        if (!usher.Any(r => r.Result.ServerOverheadMs is not null))
        {
            Line(md, "Not measured: Usher's answers carried no `Server-Timing` header in this run.");
            Line(md);
            return;
        }

        Line(md, "The server's own time per request: `total - queue - compute` from its `Server-Timing` header.");
        Line(md);
        Line(md, "| Model | Concurrency | Server | p50 ms | p99 ms | Answers |");
        Line(md, "|---|---:|---|---:|---:|---:|");
        foreach (var record in usher.OrderBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Concurrency).ThenBy(r => ConfigOrder(r.Config)))
        {
            var o = record.Result.ServerOverheadMs;
            Line(md, o is null
                ? $"| `{record.Model}` | {record.Concurrency} | {BenchmarkRecord.Describe(record.Config)} | – | – | 0 |"
                : F($"| `{record.Model}` | {record.Concurrency} | {BenchmarkRecord.Describe(record.Config)} | {Ms(o.P50)} | {Ms(o.P99)} | {o.Samples} |"));
        }

        Line(md);
    }

    private BenchmarkRecord? Find(string model, string config, int concurrency)
        => records.LastOrDefault(r => r.Model == model && r.Config == config && r.Concurrency == concurrency);

    private IEnumerable<int> Concurrencies(string model)
        => records.Where(r => r.Model == model).Select(r => r.Concurrency).Distinct().Order();

    private static double? Ratio(BenchmarkRecord? numerator, BenchmarkRecord? denominator)
        => numerator is null || denominator is null || denominator.Result.RequestsPerSecond <= 0
            ? null
            : numerator.Result.RequestsPerSecond / denominator.Result.RequestsPerSecond;

    private static string Verdict(double? ratio, Func<double, bool> met)
        => ratio is double r ? (met(r) ? "MET" : "MISSED") : "NOT MEASURED";

    private static string Times(double? ratio) => ratio is double r ? F($"{r:F2}x") : "not measured";

    private static string Ms(double ms) => double.IsNaN(ms) ? "–" : F($"{ms:F2}");

    private static int ConfigOrder(string config) => config switch
    {
        BenchmarkRecord.Bare => 0,
        BenchmarkRecord.BatchingOff => 1,
        BenchmarkRecord.BatchingOn => 2,
        _ => 3,
    };

    private static string F(FormattableString text) => text.ToString(Invariant);

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}

/// <summary>How the report was produced.</summary>
internal sealed record ReportContext(string Command, string? Sdk, DateTimeOffset Date, bool Quick);
