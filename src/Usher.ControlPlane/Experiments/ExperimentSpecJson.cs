using System.Text.Json;
using Usher.ControlPlane.Deployments;

namespace Usher.ControlPlane.Experiments;

/// <summary>Reads and writes a deployment spec's <c>ab</c> section.</summary>
internal static class ExperimentSpecJson
{
    private static readonly string[] Keys = ["variants", "metric", "kind", "alpha", "tuning_n", "srm_threshold", "min_samples", "min_share", "update_interval"];
    private static readonly string[] VariantKeys = ["version", "weight"];

    /// <summary>The section, or null when the spec has none; problems name their keys.</summary>
    public static ExperimentSpec? Read(JsonElement root, List<string> problems)
    {
        if (!root.TryGetProperty("ab", out var section) || section.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"ab: expected a mapping, got {section.ValueKind}");
            return null;
        }

        const string prefix = "ab.";
        var before = problems.Count;
        DeploymentSpecParser.CheckKeys(section, prefix, Keys, problems);
        var defaults = ExperimentSpec.Default;
        var arms = new List<ExperimentArm>();
        if (!section.TryGetProperty("variants", out var variants) || variants.ValueKind != JsonValueKind.Array)
        {
            problems.Add("ab.variants: required, a list like [{version: 1, weight: 50}, {version: 2, weight: 50}]");
        }
        else
        {
            foreach (var v in variants.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"ab.variants: {v} is not a mapping with version and weight");
                    continue;
                }

                DeploymentSpecParser.CheckKeys(v, "ab.variants[].", VariantKeys, problems);
                var version = DeploymentSpecParser.Integer(v, "version", 1, problems, "ab.variants[].");
                var weight = DeploymentSpecParser.Number(v, "weight", 0, 100, problems, "ab.variants[].");
                if (version is null || weight is null)
                {
                    problems.Add($"ab.variants: {v} needs a version (>= 1) and a weight (0..100)");
                    continue;
                }

                arms.Add(new ExperimentArm(version.Value, weight.Value));
            }
        }

        OutcomeKind? kind = null;
        if (DeploymentSpecParser.String(section, "kind", problems) is { } kindName)
        {
            kind = kindName switch
            {
                "binary" => OutcomeKind.Binary,
                "continuous" => OutcomeKind.Continuous,
                _ => null,
            };
            if (kind is null)
            {
                problems.Add($"ab.kind: unknown kind '{kindName}' (expected binary or continuous)");
            }
        }

        var spec = new ExperimentSpec
        {
            Variants = arms,
            Metric = DeploymentSpecParser.String(section, "metric", problems) ?? defaults.Metric,
            Kind = kind ?? defaults.Kind,
            Alpha = DeploymentSpecParser.Number(section, "alpha", 1e-6, 0.5, problems, prefix) ?? defaults.Alpha,
            TuningN = DeploymentSpecParser.Number(section, "tuning_n", 1, double.MaxValue, problems, prefix) ?? defaults.TuningN,
            SrmThreshold = DeploymentSpecParser.Number(section, "srm_threshold", 0, 0.5, problems, prefix) ?? defaults.SrmThreshold,
            MinSamples = DeploymentSpecParser.Integer(section, "min_samples", 2, problems, prefix) ?? defaults.MinSamples,
            MinShare = DeploymentSpecParser.Number(section, "min_share", 0, 0.5, problems, prefix) ?? defaults.MinShare,
            UpdateInterval = DeploymentSpecParser.Duration(section, "ab.update_interval", "update_interval", problems) ?? defaults.UpdateInterval,
        };
        if (problems.Count == before)
        {
            problems.AddRange(spec.Validate());
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
