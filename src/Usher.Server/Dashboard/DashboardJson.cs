using System.Text.Json;
using Usher.Core.Telemetry;

namespace Usher.Server.Dashboard;

/// <summary>Writes a <see cref="DashboardView"/> as the JSON of <c>GET /admin/dashboard/metrics</c> (docs/dashboard.md).</summary>
internal static class DashboardJson
{
    public static void Write(Utf8JsonWriter w, DashboardView view)
    {
        w.WriteStartObject();
        w.WriteString("at", view.At);
        if (view.Since is { } since)
        {
            w.WriteString("since", since);
        }
        else
        {
            w.WriteNull("since");
        }

        w.WriteNumber("interval_seconds", view.IntervalSeconds);
        w.WriteStartArray("versions");
        foreach (var v in view.Versions)
        {
            w.WriteStartObject();
            w.WriteString("model", v.Model);
            w.WriteString("version", v.Version);
            w.WriteString("variant", v.Model + ":" + v.Version);
            w.WriteNumber("requests", v.Requests);
            w.WriteNumber("errors", v.Errors);
            w.WriteStartArray("batch_sizes");
            for (var i = 0; i < v.Batches.Length; i++)
            {
                w.WriteStartObject();
                if (i < UsherMetrics.BatchSizeBuckets.Count)
                {
                    w.WriteNumber("le", UsherMetrics.BatchSizeBuckets[i]);
                }
                else
                {
                    w.WriteNull("le");
                }

                w.WriteNumber("count", v.Batches[i]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("points");
            foreach (var p in v.Points)
            {
                w.WriteStartObject();
                w.WriteNumber("t", p.At.ToUnixTimeMilliseconds());
                w.WriteNumber("rps", p.RequestsPerSecond);
                Number(w, "error_rate", p.ErrorRate);
                Number(w, "p50_ms", p.P50Ms);
                Number(w, "p99_ms", p.P99Ms);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("endpoints");
        foreach (var e in view.Endpoints)
        {
            w.WriteStartObject();
            w.WriteString("endpoint", e.Endpoint);
            w.WriteNumber("window_seconds", e.WindowSeconds);
            w.WriteStartArray("variants");
            foreach (var s in e.Variants)
            {
                w.WriteStartObject();
                w.WriteString("variant", s.Variant);
                w.WriteNumber("rps", s.RequestsPerSecond);
                Number(w, "share", s.Share);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
