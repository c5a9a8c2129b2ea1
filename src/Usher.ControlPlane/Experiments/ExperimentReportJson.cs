using System.Text;
using System.Text.Json;

namespace Usher.ControlPlane.Experiments;

/// <summary>An experiment's results as the admin API shows them and the audit trail keeps them.</summary>
public static class ExperimentReportJson
{
    /// <summary>The report as JSON text.</summary>
    public static string ToJson(string endpoint, long rolloutId, string strategy, string phase, ExperimentReport report)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, endpoint, rolloutId, strategy, phase, report);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the report as a JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, string endpoint, long rolloutId, string strategy, string phase, ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(report);
        writer.WriteStartObject();
        writer.WriteString("endpoint", endpoint);
        writer.WriteNumber("rollout_id", rolloutId);
        writer.WriteString("strategy", strategy);
        writer.WriteString("phase", phase);
        writer.WriteString("metric", report.Metric);
        writer.WriteString("kind", report.Kind == OutcomeKind.Binary ? "binary" : "continuous");
        writer.WriteNumber("alpha", report.Alpha);
        writer.WriteString("decision", report.Decision);
        writer.WriteString("verdict", report.Decision);
        if (report.Winner is { } winner)
        {
            writer.WriteNumber("winner", winner);
        }
        else
        {
            writer.WriteNull("winner");
        }

        writer.WriteString("summary", report.Summary);
        writer.WriteNumber("control", report.ControlVersion);
        if (report.Srm is { } srm)
        {
            writer.WriteStartObject("srm");
            Number(writer, "chi_square", srm.ChiSquare);
            Number(writer, "p_value", srm.PValue);
            writer.WriteNumber("threshold", srm.Threshold);
            writer.WriteBoolean("flagged", srm.Flagged);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("srm");
        }

        writer.WriteStartArray("arms");
        foreach (var arm in report.Arms)
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", arm.Version);
            writer.WriteNumber("weight", arm.Weight);
            writer.WriteNumber("assigned", arm.Assigned);
            writer.WriteNumber("units", arm.Units);
            writer.WriteNumber("outcomes", arm.Outcomes);
            Number(writer, "mean", arm.Mean);
            writer.WriteString("verdict", arm.Verdict switch
            {
                ArmVerdict.Control => "control",
                ArmVerdict.Winner => "winner",
                ArmVerdict.Loser => "loser",
                _ => "not yet",
            });
            writer.WriteString("why", arm.Why);
            if (arm.Comparison is { } c)
            {
                writer.WriteStartObject("vs_control");
                Number(writer, "lift", c.AbsoluteLift);
                Number(writer, "ci_lower", c.AbsoluteCiLower);
                Number(writer, "ci_upper", c.AbsoluteCiUpper);
                Number(writer, "relative_lift", c.RelativeLift);
                Number(writer, "relative_ci_lower", c.RelativeCiLower);
                Number(writer, "relative_ci_upper", c.RelativeCiUpper);
                Number(writer, "p_value", c.PValue);
                Number(writer, "sequential_lower", c.SequentialLower);
                Number(writer, "sequential_upper", c.SequentialUpper);
                Number(writer, "sequential_p_value", c.SequentialPValue);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter writer, string name, double value)
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
}
