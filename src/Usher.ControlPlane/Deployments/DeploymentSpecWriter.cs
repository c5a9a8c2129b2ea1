using System.Text;
using System.Text.Json;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Deployments;

/// <summary>
/// Writes a spec as the JSON <see cref="DeploymentSpecParser"/> reads, every setting of the sections its
/// strategy reads spelled out (the normalized spec: parsing it again gives the same spec).
/// </summary>
internal static class DeploymentSpecWriter
{
    /// <summary>The spec as JSON text.</summary>
    public static string ToJson(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, spec);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the spec as a JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(spec);
        writer.WriteStartObject();
        writer.WriteString("endpoint", spec.Endpoint);
        writer.WriteString("model", spec.Model);
        writer.WriteNumber("version", spec.Version);
        writer.WriteString("strategy", StrategyName(spec.Strategy));
        if (StrategySections.Applies(CanarySectionReader.Key, spec.Strategy))
        {
            writer.WriteStartObject("canary");
            writer.WriteStartArray("steps");
            foreach (var step in spec.Canary.Steps)
            {
                writer.WriteNumberValue(step);
            }

            writer.WriteEndArray();
            writer.WriteString("interval", Durations.Format(spec.Canary.Interval));
            writer.WriteEndObject();
        }

        if (StrategySections.Applies(BlueGreenSectionReader.Key, spec.Strategy))
        {
            writer.WriteStartObject("blue_green");
            writer.WriteString("rollback_window", Durations.Format(spec.BlueGreen.RollbackWindow));
            if (spec.BlueGreen.Agreement is { } agreement)
            {
                writer.WriteStartObject("validation");
                writer.WriteStartObject("agreement");
                writer.WriteNumber("samples", agreement.Samples);
                writer.WriteNumber("tolerance", agreement.Tolerance);
                writer.WriteNumber("min_agreement", agreement.MinAgreement);
                if (agreement.Outputs is { Count: > 0 } outputs)
                {
                    writer.WriteStartArray("outputs");
                    foreach (var output in outputs)
                    {
                        writer.WriteStringValue(output);
                    }

                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteNull("validation");
            }

            writer.WriteEndObject();
        }

        if (StrategySections.Applies(ShadowSectionReader.Key, spec.Strategy))
        {
            ShadowSpecJson.Write(writer, spec.Shadow);
        }

        var a = spec.Analysis;
        writer.WriteStartObject("analysis");
        writer.WriteNumber("min_requests", a.MinRequests);
        writer.WriteNumber("min_predictions", a.MinPredictions);
        writer.WriteString("inconclusive_after", Durations.Format(spec.InconclusiveAfter));
        writer.WriteNumber("max_error_rate", a.MaxErrorRate);
        writer.WriteNumber("alpha", a.Alpha);
        writer.WriteNumber("max_latency_p99_ratio", a.MaxLatencyP99Ratio);
        writer.WriteNumber("max_latency_p50_ratio", a.MaxLatencyP50Ratio);
        writer.WriteNumber("min_latency_delta_ms", a.MinLatencyDeltaMs);
        writer.WriteNumber("max_psi", a.MaxPsi);
        writer.WriteEndObject();
        if (spec.Strategy is RolloutStrategy.Ab or RolloutStrategy.Bandit)
        {
            ExperimentSpecJson.Write(writer, spec.Ab);
        }

        writer.WriteEndObject();
    }

    /// <summary>The strategy's name in specs.</summary>
    public static string StrategyName(RolloutStrategy strategy) => strategy switch
    {
        RolloutStrategy.Canary => "canary",
        RolloutStrategy.BlueGreen => "blue-green",
        RolloutStrategy.Shadow => "shadow",
        RolloutStrategy.Ab => "ab",
        RolloutStrategy.Bandit => "bandit",
        _ => "direct",
    };
}
