using System.Globalization;
using System.Text;
using Usher.Capacity.Simulation;

namespace Usher.Capacity.Reports;

/// <summary>Markdown tables for the terminal and for docs/capacity.md.</summary>
internal static class ReportText
{
    public static string Summary(IReadOnlyList<SimulationResult> runs, double sloP99Ms)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| scaling | replica-hours | pods min-max | minutes with p99 > {F(sloP99Ms, "0.#")} ms | requests over SLO | worst minute p99 ms | p99 of the day ms |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var run in runs)
        {
            var s = run.Summary;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Name} | {F(s.ReplicaHours, "0.0")} | {s.MinPods}-{s.MaxPods} | {s.SloViolationMinutes} | {F(s.RequestsOverSlo * 100, "0.###")}% | {Ms(s.WorstMinuteP99Ms)} | {Ms(s.DayP99Ms)} |");
        }

        return text.ToString();
    }

    /// <summary>Hour by hour: load and, per run, pods and the hour's worst minute p99.</summary>
    public static string Hourly(IReadOnlyList<SimulationResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var text = new StringBuilder("| hour | load req/s |");
        foreach (var run in runs)
        {
            text.Append(CultureInfo.InvariantCulture, $" {run.Settings.Name}: pods | worst p99 ms |");
        }

        text.AppendLine().Append("|---|---|").AppendLine(string.Concat(runs.Select(_ => "---|---|")));
        var minutes = runs[0].Minutes.Count;
        for (var h = 0; h * 60 < minutes; h++)
        {
            var span = runs[0].Minutes.Skip(h * 60).Take(60).ToList();
            text.Append(CultureInfo.InvariantCulture, $"| {h:00} | {F(span.Average(m => m.Rps), "0")} |");
            foreach (var run in runs)
            {
                var ms = run.Minutes.Skip(h * 60).Take(60).ToList();
                text.Append(CultureInfo.InvariantCulture, $" {F(ms.Average(m => m.Pods), "0.0")} | {Ms(ms.Max(m => m.P99Ms))} |");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    public static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms >= 10_000 ? F(ms / 1000, "0") + " s" : F(ms, ms < 10 ? "0.00" : "0.0");

    public static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
