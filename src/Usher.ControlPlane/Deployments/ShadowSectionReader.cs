using System.Text.Json;

namespace Usher.ControlPlane.Deployments;

/// <summary>Reads a spec's <c>shadow</c> section: the mirrored share, the queue, the tolerance and the gate.</summary>
internal static class ShadowSectionReader
{
    public const string Key = "shadow";

    public static ShadowSpec Read(JsonElement root, SpecReader reader)
    {
        var spec = ShadowSpec.Default;
        if (!reader.Section(root, Key, ShadowSpecJson.Keys, out var s))
        {
            return spec;
        }

        ShadowGateSpec? gate = null;
        if (s.TryGetProperty("gate", out var g) && g.ValueKind != JsonValueKind.Null)
        {
            const string path = "shadow.gate";
            if (g.ValueKind != JsonValueKind.Object)
            {
                reader.Add(path, "expected a mapping with min_agreement, max_latency_p99_ratio, min_samples, or null for no gate");
            }
            else
            {
                reader.CheckKeys(g, path, ShadowSpecJson.GateKeys);
                var defaults = new ShadowGateSpec();
                gate = new ShadowGateSpec(
                    reader.Number(g, path, "min_agreement", 0, 1) ?? defaults.MinAgreement,
                    reader.Number(g, path, "max_latency_p99_ratio", 1, double.MaxValue) ?? defaults.MaxLatencyP99Ratio,
                    (int)Math.Min(int.MaxValue, reader.Integer(g, path, "min_samples", 1) ?? defaults.MinSamples));
            }
        }

        var percent = reader.Number(s, Key, "percent", 0, 100, aboveMin: true) ?? spec.Percent;
        return new ShadowSpec(
            percent,
            (int)Math.Min(int.MaxValue, reader.Integer(s, Key, "queue", 1) ?? spec.Queue),
            reader.Number(s, Key, "tolerance", 0, double.MaxValue) ?? spec.Tolerance,
            gate);
    }
}
