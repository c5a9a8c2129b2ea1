using System.Text.Json;
using Usher.ControlPlane.Deployments;

namespace Usher.ControlPlane.Experiments;

/// <summary>Reads and writes a deployment spec's <c>ab</c> section.</summary>
internal static class ExperimentSpecJson
{
    private static readonly string[] Keys = ["variants", "metric", "kind", "alpha", "tuning_n", "srm_threshold", "min_samples", "min_share", "update_interval"];
    private static readonly string[] VariantKeys = ["version", "weight"];

    /// <summary>The section, or null when the spec has none; problems name their keys.</summary>
    public static ExperimentSpec? Read(JsonElement root, SpecReader reader)
    {
        const string path = "ab";
        if (!root.TryGetProperty(path, out var section) || section.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var before = reader.Count;
        if (!reader.Section(root, path, Keys, out section))
        {
            return null;
        }

        var defaults = ExperimentSpec.Default;
        var arms = new List<ExperimentArm>();
        if (!section.TryGetProperty("variants", out var variants) || variants.ValueKind != JsonValueKind.Array)
        {
            reader.Add("ab.variants", "required, a list like [{version: 1, weight: 50}, {version: 2, weight: 50}]");
        }
        else
        {
            var index = 0;
            foreach (var v in variants.EnumerateArray())
            {
                var at = SpecReader.Item("ab.variants", index++);
                if (v.ValueKind != JsonValueKind.Object)
                {
                    reader.Add(at, $"expected a mapping with version and weight, got {SpecReader.Describe(v)}");
                    continue;
                }

                reader.CheckKeys(v, at, VariantKeys);
                var version = reader.Integer(v, at, "version", 1);
                var weight = reader.Number(v, at, "weight", 0, 100, aboveMin: true);
                if (!v.TryGetProperty("version", out _) || !v.TryGetProperty("weight", out _))
                {
                    reader.Add(at, "needs a version (>= 1) and a weight (above 0, up to 100)");
                }

                if (version is not null && weight is not null)
                {
                    arms.Add(new ExperimentArm(version.Value, weight.Value));
                }
            }
        }

        OutcomeKind? kind = null;
        if (reader.String(section, path, "kind") is { } kindName)
        {
            kind = kindName switch
            {
                "binary" => OutcomeKind.Binary,
                "continuous" => OutcomeKind.Continuous,
                _ => null,
            };
            if (kind is null)
            {
                reader.Add("ab.kind", $"unknown kind '{kindName}' (expected binary or continuous)");
            }
        }

        var spec = new ExperimentSpec
        {
            Variants = arms,
            Metric = reader.String(section, path, "metric") ?? defaults.Metric,
            Kind = kind ?? defaults.Kind,
            Alpha = reader.Number(section, path, "alpha", 1e-6, 0.5) ?? defaults.Alpha,
            TuningN = reader.Number(section, path, "tuning_n", 1, double.MaxValue) ?? defaults.TuningN,
            SrmThreshold = reader.Number(section, path, "srm_threshold", 0, 0.5) ?? defaults.SrmThreshold,
            MinSamples = reader.Integer(section, path, "min_samples", 2) ?? defaults.MinSamples,
            MinShare = reader.Number(section, path, "min_share", 0, 0.5) ?? defaults.MinShare,
            UpdateInterval = reader.Duration(section, path, "update_interval") ?? defaults.UpdateInterval,
        };
        if (reader.Count == before)
        {
            foreach (var problem in spec.Validate())
            {
                reader.AddValidation(path, problem);
            }
        }

        return spec;
    }

    /// <summary>Writes the section, every setting spelled out.</summary>
    public static void Write(Utf8JsonWriter writer, ExperimentSpec spec)
    {
        writer.WriteStartObject("ab");
        writer.WriteStartArray("variants");
        foreach (var arm in spec.Variants)
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", arm.Version);
            writer.WriteNumber("weight", arm.Weight);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("metric", spec.Metric);
        writer.WriteString("kind", spec.Kind == OutcomeKind.Binary ? "binary" : "continuous");
        writer.WriteNumber("alpha", spec.Alpha);
        writer.WriteNumber("tuning_n", spec.TuningN);
        writer.WriteNumber("srm_threshold", spec.SrmThreshold);
        writer.WriteNumber("min_samples", spec.MinSamples);
        writer.WriteNumber("min_share", spec.MinShare);
        writer.WriteString("update_interval", Durations.Format(spec.UpdateInterval));
        writer.WriteEndObject();
    }
}
