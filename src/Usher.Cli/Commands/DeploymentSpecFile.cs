using System.Text.Json.Nodes;
using Usher.Core.Models.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Cli.Commands;

/// <summary>
/// Reads a deployment spec file (YAML) into a <see cref="DeploymentSpec"/>. Every problem is collected
/// and reported together, each naming its key path and, for unknown keys, the key meant:
/// <c>fraud.yaml: canary.interal: unknown key (did you mean 'interval'?)</c>. Rules that need the flags
/// too (required keys, step order) are <see cref="DeploymentSpecValidator"/>'s.
/// </summary>
internal static class DeploymentSpecFile
{
    private static readonly string[] TopKeys = ["endpoint", "model", "version", "strategy", "canary", "blue_green", "shadow", "analysis", "ab"];
    private static readonly string[] ShadowKeys = ["percent", "queue", "tolerance", "gate"];
    private static readonly string[] GateKeys = ["min_agreement", "max_latency_p99_ratio", "min_samples"];
    private static readonly string[] CanaryKeys = ["steps", "interval"];
    private static readonly string[] BlueGreenKeys = ["rollback_window", "validation"];
    private static readonly string[] ValidationKeys = ["agreement"];
    private static readonly string[] AgreementKeys = ["samples", "tolerance", "min_agreement", "outputs"];
    private static readonly string[] AnalysisKeys =
    [
        "min_requests", "min_predictions", "inconclusive_after", "max_error_rate", "alpha",
        "max_latency_p99_ratio", "max_latency_p50_ratio", "min_latency_delta_ms", "max_psi",
    ];

    /// <summary>Reads the file at <paramref name="path"/>; a file that cannot be read is one problem.</summary>
    public static DeploymentSpecReadResult Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return DeploymentSpecReadResult.Failed($"{path}: cannot read the spec file ({ex.Message}); check the path");
        }

        return Parse(text, path);
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> starts every problem.</summary>
    public static DeploymentSpecReadResult Parse(string yamlText, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(sourceName);
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(yamlText);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            return DeploymentSpecReadResult.Failed($"{sourceName} line {ex.Start.Line}: not valid YAML: {ex.Message}");
        }

        if (stream.Documents.Count != 1 || YamlReader.IsNull(stream.Documents[0].RootNode))
        {
            return DeploymentSpecReadResult.Failed($"{sourceName}: expected one YAML document with the deployment's keys ({string.Join(", ", TopKeys)})");
        }

        var yaml = new YamlReader(sourceName);
        var spec = ReadTop(yaml, stream.Documents[0].RootNode);
        // An error about the whole document has the empty path: it reads better with its line.
        var errors = yaml.Errors.OrderBy(e => e.Line ?? 0).Select(e => e.Path is "" ? e with { Path = null } : e).ToList();
        return new DeploymentSpecReadResult(spec, [.. errors.Select(e => e.ToString())], [.. errors.Select(e => e.Path ?? "")]);
    }

    private static DeploymentSpec ReadTop(YamlReader yaml, YamlNode root)
    {
        if (yaml.Map(root, "", TopKeys) is not { } map)
        {
            return DeploymentSpec.Empty;
        }

        var spec = new DeploymentSpec
        {
            Endpoint = map.String("endpoint"),
            Model = map.String("model"),
            Version = map.Integer("version", 1),
            Strategy = map.String("strategy"),
        };

        if (map.TryGet("canary", out var canaryNode) && yaml.Map(canaryNode, "canary", CanaryKeys) is { } canary)
        {
            // A refused step is reported once, here: dropping the list keeps the order rules from blaming it again.
            var before = yaml.Errors.Count;
            var steps = canary.Integers("steps", 1, 100);
            spec = spec with { Steps = yaml.Errors.Count == before ? steps : null, Interval = Duration(canary, "interval") };
        }

        if (map.TryGet("blue_green", out var blueGreenNode) && yaml.Map(blueGreenNode, "blue_green", BlueGreenKeys) is { } blueGreen)
        {
            spec = spec with { RollbackWindow = Duration(blueGreen, "rollback_window"), Validation = ReadValidation(blueGreen) };
        }

        if (map.TryGet("shadow", out var shadowNode) && yaml.Map(shadowNode, "shadow", ShadowKeys) is { } shadow)
        {
            spec = spec with { Percent = Fraction(shadow, "percent", allowZero: false, max: 100), Shadow = ReadShadow(shadow) };
        }

        if (map.TryGet("analysis", out var analysisNode) && yaml.Map(analysisNode, "analysis", AnalysisKeys) is { } analysis)
        {
            spec = spec with { Analysis = ReadAnalysis(analysis) };
        }

        if (map.TryGet("ab", out var abNode) && yaml.Map(abNode, "ab", ExperimentSpecText.Keys) is { } ab)
        {
            spec = spec with { Ab = ExperimentSpecText.Read(ab) };
        }

        return spec;
    }

    private static JsonObject? ReadValidation(YamlMap blueGreen)
    {
        if (!blueGreen.TryGet("validation", out var node) || blueGreen.Reader.Map(node, blueGreen.PathOf("validation"), ValidationKeys) is not { } validation)
        {
            return null;
        }

        var json = new JsonObject();
        if (validation.TryGet("agreement", out var agreementNode)
            && validation.Reader.Map(agreementNode, validation.PathOf("agreement"), AgreementKeys) is { } agreement)
        {
            var values = new JsonObject();
            Put(values, "samples", agreement.Integer("samples", 1));
            Put(values, "tolerance", Fraction(agreement, "tolerance", allowZero: true, max: double.MaxValue));
            Put(values, "min_agreement", Fraction(agreement, "min_agreement", allowZero: false, max: 1));
            if (agreement.TryGet("outputs", out var outputsNode) && agreement.Reader.Sequence(outputsNode, agreement.PathOf("outputs")) is { } outputs)
            {
                var names = new JsonArray();
                for (var i = 0; i < outputs.Count; i++)
                {
                    if (agreement.Reader.String(outputs[i], YamlReader.Item(agreement.PathOf("outputs"), i)) is { } name)
                    {
                        names.Add(name);
                    }
                }

                values["outputs"] = names;
            }

            json["agreement"] = values;
        }

        return json;
    }

    private static JsonObject ReadShadow(YamlMap shadow)
    {
        var json = new JsonObject();
        Put(json, "queue", shadow.Integer("queue", 1, int.MaxValue));
        Put(json, "tolerance", Fraction(shadow, "tolerance", allowZero: true, max: double.MaxValue));
        if (shadow.TryGet("gate", out var gateNode) && shadow.Reader.Map(gateNode, shadow.PathOf("gate"), GateKeys) is { } gate)
        {
            var values = new JsonObject();
            Put(values, "min_agreement", Fraction(gate, "min_agreement", allowZero: true, max: 1));
            Put(values, "max_latency_p99_ratio", Fraction(gate, "max_latency_p99_ratio", allowZero: false, max: double.MaxValue));
            Put(values, "min_samples", gate.Integer("min_samples", 1));
            json["gate"] = values;
        }

        return json;
    }

    private static JsonObject ReadAnalysis(YamlMap analysis)
    {
        var json = new JsonObject();
        Put(json, "min_requests", analysis.Integer("min_requests", 1));
        Put(json, "min_predictions", analysis.Integer("min_predictions", 1));
        if (Duration(analysis, "inconclusive_after") is { } after)
        {
            json["inconclusive_after"] = after;
        }

        Put(json, "max_error_rate", Fraction(analysis, "max_error_rate", allowZero: true, max: 1));
        Put(json, "alpha", Fraction(analysis, "alpha", allowZero: false, max: 0.5, hint: "; alpha is the significance level, e.g. 0.01, not the confidence 0.99"));
        Put(json, "max_latency_p99_ratio", Fraction(analysis, "max_latency_p99_ratio", allowZero: false, max: double.MaxValue));
        Put(json, "max_latency_p50_ratio", Fraction(analysis, "max_latency_p50_ratio", allowZero: false, max: double.MaxValue));
        Put(json, "min_latency_delta_ms", Fraction(analysis, "min_latency_delta_ms", allowZero: true, max: double.MaxValue));
        Put(json, "max_psi", Fraction(analysis, "max_psi", allowZero: false, max: double.MaxValue));
        return json;
    }

    // A duration key: text like 60s, kept as written.
    private static string? Duration(YamlMap map, string key)
    {
        if (!map.TryGet(key, out var node))
        {
            return null;
        }

        if (node is YamlScalarNode { Value: { } text } && !YamlReader.IsNull(node) && DurationText.Parse(text) is not null)
        {
            return text.Trim();
        }

        map.Reader.Report(node, map.PathOf(key), $"expected {DurationText.Expected}, got {YamlReader.Describe(node)}");
        return null;
    }

    // A number in (0, max], or [0, max] when zero is allowed.
    private static double? Fraction(YamlMap map, string key, bool allowZero, double max, string hint = "")
    {
        if (map.Number(key, positive: false) is not { } value)
        {
            return null;
        }

        if ((allowZero ? value >= 0 : value > 0) && value <= max)
        {
            return value;
        }

        var low = allowZero ? "from 0" : "above 0";
        var range = max == double.MaxValue ? $"a number {(allowZero ? ">= 0" : "> 0")}" : $"a number {low} to {max}";
        map.TryGet(key, out var node);
        map.Reader.Report(node, map.PathOf(key), $"expected {range}, got '{value}'{hint}");
        return null;
    }

    private static void Put(JsonObject json, string key, long? value)
    {
        if (value is { } v)
        {
            json[key] = v;
        }
    }

    private static void Put(JsonObject json, string key, double? value)
    {
        if (value is { } v)
        {
            json[key] = v;
        }
    }
}
