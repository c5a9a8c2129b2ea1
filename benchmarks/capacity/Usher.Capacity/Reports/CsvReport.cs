using System.Globalization;
using System.Text;
using Usher.Capacity.Simulation;

namespace Usher.Capacity.Reports;

/// <summary>Minute by minute, every run side by side: <c>minute,rps,{run}_pods,{run}_queue,{run}_p99_ms,...</c>.</summary>
internal static class CsvReport
{
    public static string Minutes(IReadOnlyList<SimulationResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var text = new StringBuilder("minute,rps");
        foreach (var run in runs)
        {
            var n = run.Settings.Name.Replace(' ', '_');
            text.Append(CultureInfo.InvariantCulture, $",{n}_pods,{n}_ready,{n}_queue_per_pod,{n}_utilization,{n}_p99_ms");
        }

        text.Append('\n');
        for (var i = 0; i < runs[0].Minutes.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},{runs[0].Minutes[i].Rps:0.###}");
            foreach (var run in runs)
            {
                var m = run.Minutes[i];
                text.Append(CultureInfo.InvariantCulture, $",{m.Pods:0.###},{m.Ready},{m.QueuePerPod:0.###},{m.Utilization:0.###},{m.P99Ms:0.###}");
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
