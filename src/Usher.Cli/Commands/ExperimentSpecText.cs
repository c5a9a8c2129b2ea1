using System.Globalization;
using System.Text.Json.Nodes;
using Usher.Core.Models.Yaml;

namespace Usher.Cli.Commands;

/// <summary>A deployment's <c>ab</c> section as the CLI reads it: from a spec file, or from <c>--variants 1:50,2:50</c> and <c>--metric</c>.</summary>
internal static class ExperimentSpecText
{
    /// <summary>The keys of the section.</summary>
    public static readonly string[] Keys = ["variants", "metric", "kind", "alpha", "tuning_n", "srm_threshold", "min_samples", "min_share", "update_interval"];

    private static readonly string[] VariantKeys = ["version", "weight"];

    /// <summary>Reads the section of a spec file.</summary>
    public static JsonObject Read(YamlMap ab)
    {
        var json = new JsonObject();
        if (ab.TryGet("variants", out var node) && ab.Reader.Sequence(node, ab.PathOf("variants")) is { } items)
        {
            var variants = new JsonArray();
            for (var i = 0; i < items.Count; i++)
            {
                if (ab.Reader.Map(items[i], YamlReader.Item(ab.PathOf("variants"), i), VariantKeys) is { } item
                    && item.Integer("version", 1) is { } version && item.Number("weight", positive: true) is { } weight)
                {
                    variants.Add(new JsonObject { ["version"] = version, ["weight"] = weight });
                }
            }

            json["variants"] = variants;
        }

        Put(json, "metric", ab.String("metric"));
        Put(json, "kind", ab.String("kind"));
        Put(json, "update_interval", ab.String("update_interval"));
        foreach (var key in new[] { "alpha", "tuning_n", "srm_threshold", "min_share" })
        {
            if (ab.Number(key, positive: false) is { } value)
            {
                json[key] = value;
            }
        }

        if (ab.Integer("min_samples", 2) is { } min)
        {
            json["min_samples"] = min;
        }

        return json;
    }

    /// <summary>Reads <c>--variants 1:50,2:50</c> (version:weight, weights in percent).</summary>
    public static JsonArray? Variants(string text, List<string> problems)
    {
        var variants = new JsonArray();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pieces = part.Split(':');
            if (pieces.Length == 2
                && long.TryParse(pieces[0], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
                && double.TryParse(pieces[1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var weight) && weight > 0)
            {
                variants.Add(new JsonObject { ["version"] = version, ["weight"] = weight });
            }
            else
            {
                problems.Add($"--variants: expected VERSION:WEIGHT pairs separated by commas, such as 1:50,2:50, got '{text}'");
                return null;
            }
        }

        if (variants.Count < 2)
        {
            problems.Add($"--variants: an experiment needs at least two arms, got '{text}'");
            return null;
        }

        return variants;
    }

    private static void Put(JsonObject json, string key, string? value)
    {
        if (value is not null)
        {
            json[key] = value;
        }
    }
}
