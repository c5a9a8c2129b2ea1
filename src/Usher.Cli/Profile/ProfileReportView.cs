using System.Globalization;
using Usher.Cli.Admin;

namespace Usher.Cli.Profile;

/// <summary>Prints a <see cref="ProfileReport"/> for people.</summary>
internal static class ProfileReportView
{
    public static void Write(ProfileReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        var settings = report.Settings;
        var client = report.Points.Select(p => p.Load?.ClientCores).FirstOrDefault() is { } cores ? $"on core(s) {cores}" : "sharing the server's cores";
        writer.WriteLine($"{settings.Model} version {N(report.Version)} on {N(report.Grid.Cores)} core(s): a server in this process, usher bench ({settings.Protocol}) {client}, "
            + $"closed loop, one row per request, each point {F(settings.Warmup.TotalSeconds, "0.#")} s warm-up + {F(settings.Duration.TotalSeconds, "0.#")} s; process base {F(report.BaseMiB, "0")} MiB");
        writer.WriteLine("  req/s = predicted with the client elsewhere (measured when it ran elsewhere, else with its CPU given back to the server); measured = what the client got");
        writer.WriteLine("  a point measured more than once (runs > 1) shows its medians and the range of its runs' req/s");
        var frontier = report.Frontier.Select(p => p.Config).ToHashSet();
        var table = new TextTable("point", "batch", "instances", "threads", "in flight", "req/s", "runs", "range", "measured", "server µs/req", "p50 ms", "p99 ms", "load MiB", "peak MiB", "");
        foreach (var p in report.Points)
        {
            var c = p.Config;
            var marks = (frontier.Contains(c) ? "frontier" : "") + (ReferenceEquals(p, report.Recommended) ? " <- recommended" : "") + (p.Errors > 0 ? $" {N(p.Errors)} errors" : "");
            table.Add(c.Id, c.BatchSize > 1 ? N(c.BatchSize) : "off", N(c.Instances), N(c.IntraOpThreads), N(p.Concurrency), F(p.Throughput, "N0"), N(p.Spread?.Runs ?? 1), Range(p), F(p.Load?.MeasuredThroughput ?? double.NaN, "N0"), F(p.Load?.ServerCpuUsPerRequest ?? double.NaN, "0.#"), F(p.P50Ms, "0.###"), F(p.P99Ms, "0.###"), F(p.Memory.LoadMiB, "0.#"), F(p.Memory.PeakMiB, "0.#"), marks.Trim());
        }

        table.WriteTo(writer, "  ");
        writer.WriteLine();
        writer.WriteLine("Pareto frontier (no other point has both more throughput and a lower p99):");
        writer.WriteLine("  " + string.Join(" -> ", report.Frontier.Select(p => $"{p.Config.Id} ({F(p.Throughput, "N0")} req/s, p99 {F(p.P99Ms, "0.###")} ms)")));
        writer.WriteLine();
        var slo = settings.SloP99Ms is { } s ? $"p99 <= {F(s, "0.###")} ms" : null;
        if (report.Recommended is not { } r)
        {
            var best = report.Frontier.Count > 0 ? report.Frontier[0] : null;
            writer.WriteLine($"no point meets {slo}" + (best is null ? "" : $"; the lowest p99 measured is {F(best.P99Ms, "0.###")} ms ({best.Config.Id}, {F(best.Throughput, "N0")} req/s)"));
            return;
        }

        var d = report.Default;
        var versus = $"{F(r.Throughput / d.Throughput, "0.00")}x the default config's throughput, p99 {F(r.P99Ms / d.P99Ms, "0.00")}x"
            + (settings.SloP99Ms is { } limit && d.P99Ms > limit ? "; the default config does not meet the SLO" : "");
        var uncertainty = r.Spread is { } spread ? $" (median of {N(spread.Runs)} runs, {Range(r)})" : " (one run)";
        writer.WriteLine($"recommended {(slo is null ? "(highest throughput; no --slo-p99-ms given)" : "for " + slo)}: {r.Config.Id}, {F(r.Throughput, "N0")} req/s{uncertainty} at p99 {F(r.P99Ms, "0.###")} ms ({versus})");
        var choice = report.Choice!;
        if (choice.Tied.Count > 1)
        {
            var fastest = choice.Fastest;
            writer.WriteLine($"  tied within the runs' spread with the fastest, {fastest.Config.Id} ({F(fastest.Throughput, "N0")} req/s, {Range(fastest)}): "
                + string.Join(", ", choice.Tied.Where(p => !ReferenceEquals(p, fastest)).Select(p => $"{p.Config.Id} ({F(p.Throughput, "N0")})"))
                + (choice.DefaultWithinNoise
                    ? "; the default config is as good as any of them as far as the runs can tell: keep it"
                    : ReferenceEquals(r, fastest) ? "" : "; of these, the one with the fewest resources"));
        }
        else if (choice.IsDefault)
        {
            writer.WriteLine("  the default config measured fastest: keep it");
        }
        if (settings.SloP99Ms is { } objective)
        {
            var headroomLimit = Recommender.Limit(objective, settings.SloHeadroom);
            var kept = $"{F(settings.SloHeadroom, "0%")} headroom kept (--slo-headroom): picked among the points with p99 <= {F(headroomLimit, "0.###")} ms";
            writer.WriteLine(Recommender.KeepsHeadroom(r, objective, settings.SloHeadroom)
                ? "  " + kept
                : $"  WITHOUT the {F(settings.SloHeadroom, "0%")} headroom: no point has p99 <= {F(headroomLimit, "0.###")} ms, so this one is only within the SLO and may miss it when served; "
                    + "measure it (benchmarks/profile/rightsize.sh) or try more cores, a quantized version, or a looser objective");
        }

        var where = r.Config.QuantizedFrom is { } from
            ? $"serve version {N(r.Config.Version)} (quantized from {N(from)}) with, in {settings.Model}/config.yaml:"
            : $"in {settings.Model}/config.yaml:";
        writer.WriteLine("  " + where);
        foreach (var line in PointConfigYaml.Section(r.Config).TrimEnd('\n').Split('\n'))
        {
            writer.WriteLine("    " + line);
        }

        writer.WriteLine();
        writer.WriteLine("capacity: " + report.Plan!.Describe());
        writer.WriteLine("  (throughput of a real server, frontend included, with the clients elsewhere, at the point's concurrency; "
            + "memory = (process base + the point's peak) x " + F(CapacityPlan.MemoryHeadroom, "0.##") + ")");
    }

    private static string Range(PointMeasurement p)
        => p.Spread is { } s ? $"{F(s.ThroughputLow, "N0")}-{F(s.ThroughputHigh, "N0")}" : "";

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
