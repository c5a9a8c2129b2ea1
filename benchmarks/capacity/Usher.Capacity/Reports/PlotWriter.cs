using ScottPlot;
using Usher.Capacity.Simulation;

namespace Usher.Capacity.Reports;

/// <summary>The day in one PNG (ScottPlot): load, pods and minute p99 of each run, stacked.</summary>
internal static class PlotWriter
{
    public static void Write(string path, IReadOnlyList<SimulationResult> runs, double sloP99Ms)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var load = multiplot.GetPlot(0);
        var pods = multiplot.GetPlot(1);
        var latency = multiplot.GetPlot(2);
        var hours = runs[0].Minutes.Select(m => (m.StartSecond + (m.Seconds / 2.0)) / 3600).ToArray();

        var rps = load.Add.ScatterLine(hours, runs[0].Minutes.Select(m => m.Rps).ToArray());
        rps.LegendText = "load (req/s)";
        load.Title("Load, replicas and p99 over the day");
        load.YLabel("req/s");

        var colors = new[] { Colors.OrangeRed, Colors.RoyalBlue, Colors.Green, Colors.Purple };
        var ceiling = sloP99Ms * 4;
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            var p = pods.Add.ScatterLine(hours, run.Minutes.Select(m => m.Pods).ToArray(), colors[i % colors.Length]);
            p.LegendText = run.Settings.Name;
            var l = latency.Add.ScatterLine(hours, run.Minutes.Select(m => double.IsNaN(m.P99Ms) ? 0 : Math.Min(m.P99Ms, ceiling)).ToArray(), colors[i % colors.Length]);
            l.LegendText = run.Settings.Name;
        }

        var slo = latency.Add.HorizontalLine(sloP99Ms, 1, Colors.Black, LinePattern.Dashed);
        slo.LegendText = $"SLO {sloP99Ms:0.#} ms";
        pods.YLabel("pods");
        latency.YLabel($"minute p99 ms (cut at {ceiling:0})");
        latency.XLabel("hour of day");
        foreach (var plot in new[] { load, pods, latency })
        {
            plot.Axes.SetLimitsX(0, Math.Max(hours[^1], 1));
            plot.ShowLegend(Alignment.UpperLeft);
        }

        load.Axes.SetLimitsY(0, runs[0].Minutes.Max(m => m.Rps) * 1.1);
        pods.Axes.SetLimitsY(0, runs.Max(r => r.Summary.MaxPods) * 1.15);
        latency.Axes.SetLimitsY(0, ceiling * 1.05);
        multiplot.SavePng(path, 1200, 900);
    }
}
