using System.Text.Json;

namespace Usher.ControlPlane.Deployments;

/// <summary>The <c>shadow</c> section of a spec as JSON: its keys and its writer.</summary>
internal static class ShadowSpecJson
{
    public static readonly string[] Keys = ["percent", "queue", "tolerance", "gate"];

    public static readonly string[] GateKeys = ["min_agreement", "max_latency_p99_ratio", "min_samples"];

    public static void Write(Utf8JsonWriter writer, ShadowSpec shadow)
    {
        writer.WriteStartObject("shadow");
        writer.WriteNumber("percent", shadow.Percent);
        writer.WriteNumber("queue", shadow.Queue);
        writer.WriteNumber("tolerance", shadow.Tolerance);
        if (shadow.Gate is { } gate)
        {
            writer.WriteStartObject("gate");
            writer.WriteNumber("min_agreement", gate.MinAgreement);
            writer.WriteNumber("max_latency_p99_ratio", gate.MaxLatencyP99Ratio);
            writer.WriteNumber("min_samples", gate.MinSamples);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("gate");
        }

        writer.WriteEndObject();
    }
}
