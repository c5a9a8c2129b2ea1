using System.Globalization;
using System.Text;
using Usher.Core.Telemetry;

namespace Usher.Server.Telemetry;

/// <summary>
/// Writes the per-version histograms of <see cref="UsherMetrics.Histograms"/> in the Prometheus text
/// format, from the versions' <see cref="VersionTotals"/> at scrape time: the OpenTelemetry exporter
/// has no observable histogram, and recording each request into the SDK's histograms (a tag lookup
/// per call) is what the totals replace. Names, labels (<c>otel_scope_name</c>, <c>model</c>,
/// <c>version</c>, <c>le</c>) and bounds are as the exporter wrote them.
/// </summary>
internal static class FoldedHistogramWriter
{
    public static void Write(StringBuilder text, UsherMetrics metrics, bool openMetrics)
    {
        var versions = metrics.Totals.OrderBy(t => t.Model, StringComparer.Ordinal).ThenBy(t => t.Version, StringComparer.Ordinal).ToList();
        foreach (var family in UsherMetrics.Histograms)
        {
            Write(text, family, versions, openMetrics);
        }
    }

    private static void Write(StringBuilder text, HistogramFamily family, List<VersionTotals> versions, bool openMetrics)
    {
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"# TYPE {family.Name} histogram\n");
        if (openMetrics && family.Unit.Length > 0)
        {
            text.Append(c, $"# UNIT {family.Name} {family.Unit}\n");
        }

        text.Append(c, $"# HELP {family.Name} {family.Help}\n");
        Span<long> counts = stackalloc long[family.Bounds.Count + 1];
        foreach (var version in versions)
        {
            var histogram = family.Select(version);
            var sum = histogram.Read(counts);
            long count = 0;
            foreach (var n in counts)
            {
                count += n;
            }

            // A series appears with its first observation, as it did from the SDK's histograms.
            if (count == 0)
            {
                continue;
            }

            var labels = $"otel_scope_name=\"{UsherMetrics.MeterName}\",model=\"{Escape(version.Model)}\",version=\"{version.Version}\"";
            long cumulative = 0;
            for (var i = 0; i < family.Bounds.Count; i++)
            {
                cumulative += counts[i];
                text.Append(c, $"{family.Name}_bucket{{{labels},le=\"{family.Bounds[i].ToString(c)}\"}} {cumulative}\n");
            }

            text.Append(c, $"{family.Name}_bucket{{{labels},le=\"+Inf\"}} {count}\n");
            text.Append(c, $"{family.Name}_sum{{{labels}}} {(sum / family.Scale).ToString("R", c)}\n");
            text.Append(c, $"{family.Name}_count{{{labels}}} {count}\n");
        }
    }

    private static string Escape(string value)
        => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
