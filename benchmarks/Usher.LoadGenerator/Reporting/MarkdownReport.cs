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
            var rounds = records.Max(r => r.Round);
            Line(md, F($"- Each point: {first.DurationSeconds:0.###} s measured after {first.WarmupSeconds:0.###} s of warm-up, {rounds} round(s); the servers are interleaved per concurrency within a round"));
            Line(md, "- Figures are medians over the rounds; a ratio is the median of the per-round ratios, its range in brackets");
        }

        Line(md, "- Usher batching off: `max_batch_size: 64`, no `dynamic_batching`; batching on: the same plus");
        Line(md, $"  `{context.BatchingOn}`. Bodies: one row of deterministic floats");
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

        var largeTop = Concurrencies(LargeModel).DefaultIfEmpty(64).Max();
        var off = Find(LargeModel, BenchmarkRecord.BatchingOff, largeTop);
        var on = Find(LargeModel, BenchmarkRecord.BatchingOn, largeTop);
        var throughput = on?.ThroughputRatio(off);
        Line(md, F($"| `{LargeModel}`, concurrency {largeTop}: throughput batching on / off ≥ {BatchingThroughputTarget:0.0}x | {Times(throughput)} | {Verdict(throughput, r => r >= BatchingThroughputTarget)} |"));
        var p99Measured = on is null || off is null ? "not measured" : $"{Ms(on.P99)} ms on, {Ms(off.P99)} ms off";
        var p99Verdict = on is null || off is null || double.IsNaN(on.P99) || double.IsNaN(off.P99)
            ? "NOT MEASURED"
            : on.P99 <= off.P99 ? "MET" : "MISSED";
        Line(md, F($"| `{LargeModel}`, concurrency {largeTop}: p99 batching on ≤ p99 batching off | {p99Measured} | {p99Verdict} |"));

        foreach (var concurrency in Concurrencies(FraudModel))
        {
            var ratio = Find(FraudModel, BenchmarkRecord.BatchingOff, concurrency)?.ThroughputRatio(Find(FraudModel, BenchmarkRecord.Bare, concurrency));
            Line(md, F($"| `{FraudModel}`, concurrency {concurrency}: throughput Usher (batching off) / bare Kestrel ≥ {HttpLimitTarget:0.0}x | {Times(ratio)} | {Verdict(ratio, r => r >= HttpLimitTarget)} |"));
        }

        Line(md);
        Line(md, "For information (no target): `fraud` throughput of Usher with batching on / bare Kestrel: "
            + string.Join(", ", Concurrencies(FraudModel).Select(c => $"{Times(Find(FraudModel, BenchmarkRecord.BatchingOn, c)?.ThroughputRatio(Find(FraudModel, BenchmarkRecord.Bare, c)))} at {c}")) + ".");
        Line(md);
    }

    private void WriteModel(StringBuilder md, string model)
    {
        Line(md, $"## `{model}`");
        Line(md);
        Line(md, "| Concurrency | Server | Requests/s | (range) | p50 ms | p90 ms | p99 ms | Errors |");
        Line(md, "|---:|---|---:|---:|---:|---:|---:|---|");
        foreach (var concurrency in Concurrencies(model))
        {
            foreach (var config in Configs(model))
            {
                if (Find(model, config, concurrency) is not { } point)
                {
                    continue;
                }

                var errors = point.Errors == 0 ? "0" : F($"{point.Errors} ({string.Join(", ", point.ErrorsByStatus.Select(e => $"{e.Key}: {e.Value}"))})");
                Line(md, F($"| {concurrency} | {BenchmarkRecord.Describe(config)} | {point.RequestsPerSecond:F1} | {point.MinRequestsPerSecond:F0}–{point.MaxRequestsPerSecond:F0} | {Ms(point.P50)} | {Ms(point.P90)} | {Ms(point.P99)} | {errors} |"));
            }
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
        foreach (var model in usher.Select(r => r.Model).Distinct(StringComparer.Ordinal))
        {
            foreach (var concurrency in Concurrencies(model))
            {
                foreach (var config in Configs(model).Where(c => c != BenchmarkRecord.Bare))
                {
                    if (Find(model, config, concurrency) is not { } point)
                    {
                        continue;
                    }

                    Line(md, point.ServerOverhead is { } o
                        ? F($"| `{model}` | {concurrency} | {BenchmarkRecord.Describe(config)} | {Ms(o.P50)} | {Ms(o.P99)} | {o.Samples} |")
                        : $"| `{model}` | {concurrency} | {BenchmarkRecord.Describe(config)} | – | – | 0 |");
                }
            }
        }

        Line(md);
    }

    private Point? Find(string model, string config, int concurrency)
    {
        var rounds = records.Where(r => r.Model == model && r.Config == config && r.Concurrency == concurrency).ToList();
        return rounds.Count == 0 ? null : new Point(rounds);
    }

    private IEnumerable<int> Concurrencies(string model)
        => records.Where(r => r.Model == model).Select(r => r.Concurrency).Distinct().Order();

    private IEnumerable<string> Configs(string model)
        => records.Where(r => r.Model == model).Select(r => r.Config).Distinct(StringComparer.Ordinal).OrderBy(ConfigOrder);

    private static string Verdict((double Median, double Min, double Max)? ratio, Func<double, bool> met)
        => ratio is { } r ? (met(r.Median) ? "MET" : "MISSED") : "NOT MEASURED";

    private static string Times((double Median, double Min, double Max)? ratio)
        => ratio is { } r ? F($"{r.Median:F2}x [{r.Min:F2}–{r.Max:F2}]") : "not measured";

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
internal sealed record ReportContext(string Command, string? Sdk, DateTimeOffset Date, bool Quick, string BatchingOn);
