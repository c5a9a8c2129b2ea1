using System.Text;
using System.Text.Json;
using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Rollouts;

/// <summary>An analysis report as the admin API shows it and the audit trail keeps it.</summary>
internal static class AnalysisJson
{
    public static string Write(AnalysisReport report, DateTimeOffset windowStart, VariantSample stable, VariantSample canary)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("verdict", report.Verdict.ToString().ToLowerInvariant());
            writer.WriteString("summary", report.Summary);
            writer.WriteString("window_start", windowStart);
            WriteCounts(writer, "stable", stable);
            WriteCounts(writer, "canary", canary);
            writer.WriteStartArray("checks");
            foreach (var check in report.Checks)
            {
                writer.WriteStartObject();
                writer.WriteString("name", check.Name);
                writer.WriteString("outcome", check.Outcome.ToString().ToLowerInvariant());
                writer.WriteString("detail", check.Detail);
                writer.WriteStartObject("statistics");
                foreach (var (name, value) in check.Statistics)
                {
                    if (double.IsFinite(value))
                    {
                        writer.WriteNumber(name, value);
                    }
                    else
                    {
                        writer.WriteNull(name);
                    }
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteCounts(Utf8JsonWriter writer, string name, VariantSample sample)
    {
        writer.WriteStartObject(name);
        writer.WriteNumber("requests", sample.Requests);
        writer.WriteNumber("errors", sample.Errors);
        writer.WriteEndObject();
    }
}
