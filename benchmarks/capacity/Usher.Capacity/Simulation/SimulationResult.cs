using Usher.Capacity.Queueing;

namespace Usher.Capacity.Simulation;

/// <summary>Every simulated second of one run, with its minutes and its summary.</summary>
internal sealed class SimulationResult
{
    public SimulationResult(SimulationSettings settings, IReadOnlyList<SecondSample> seconds)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(seconds);
        Settings = settings;
        Seconds = seconds;
        var minutes = new List<WindowSummary>();
        for (var start = 0; start < seconds.Count; start += 60)
        {
            minutes.Add(Window(start, Math.Min(60, seconds.Count - start)));
        }

        Minutes = minutes;
        Summary = Summarize();
    }

    public SimulationSettings Settings { get; }

    public IReadOnlyList<SecondSample> Seconds { get; }

    public IReadOnlyList<WindowSummary> Minutes { get; }

    public RunSummary Summary { get; }

    /// <summary>The seconds [start, start + length) summed up.</summary>
    public WindowSummary Window(int start, int length)
    {
        var span = Seconds.Skip(start).Take(length).ToList();
        var p99 = LatencyQuantile.Of([.. span.Select(s => s.State)], 0.99);
        return new WindowSummary(
            start,
            span.Count,
            span.Average(s => s.Rps),
            span.Average(s => s.Pods),
            span[^1].Ready,
            span.Average(s => s.QueuePerPod),
            span.Average(s => s.Utilization),
            p99 * 1000);
    }

    private RunSummary Summarize()
    {
        var slo = Settings.SloP99Ms / 1000;
        var arrivals = Seconds.Sum(s => s.State.Arrivals);
        var over = Seconds.Sum(s => s.State.Arrivals * s.State.LatencyTail(slo));
        var judged = Minutes.Where(m => !double.IsNaN(m.P99Ms)).ToList();
        return new RunSummary(
            Settings.Name,
            Seconds.Sum(s => (double)s.Pods) / 3600,
            Seconds.Min(s => s.Pods),
            Seconds.Max(s => s.Pods),
            judged.Count(m => m.P99Ms > Settings.SloP99Ms),
            arrivals > 0 ? over / arrivals : 0,
            judged.Count == 0 ? double.NaN : judged.Max(m => m.P99Ms),
            LatencyQuantile.Of([.. Seconds.Select(s => s.State)], 0.99) * 1000);
    }
}
