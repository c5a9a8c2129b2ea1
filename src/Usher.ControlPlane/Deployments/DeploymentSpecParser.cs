using System.Text.Json;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Deployments;

/// <summary>
/// The one reader of deployment specs: the admin API's body, the CLI's YAML files (which it turns into
/// this JSON and checks offline before posting), a model's <c>config.yaml</c> <c>rollout</c> section.
/// Every problem is collected with its key path; unknown keys get a suggestion; sections that do not
/// apply to the strategy are refused (<see cref="StrategySections"/>).
/// </summary>
internal static class DeploymentSpecParser
{
    /// <summary>The keys a spec may have at its top.</summary>
    internal static readonly string[] TopKeys =
        ["endpoint", "model", "version", "strategy", CanarySectionReader.Key, BlueGreenSectionReader.Key, ShadowSectionReader.Key, AnalysisSectionReader.Key, "ab"];

    /// <summary>Parses JSON text.</summary>
    public static DeploymentSpecResult Parse(string json, string? endpoint = null, long? version = null)
        => ParseText(json, endpoint, version, stored: false);

    /// <summary>
    /// Parses a spec. <paramref name="endpoint"/> and <paramref name="version"/> fill in what the
    /// spec leaves out (a <c>rollout</c> section names neither).
    /// </summary>
    public static DeploymentSpecResult Parse(JsonElement root, string? endpoint = null, long? version = null)
        => Read(root, endpoint, version, stored: false);

    /// <summary>
    /// Parses a spec the state store kept. Specs stored by an older server may carry every section
    /// (before sections were tied to strategies), a zero duration or an alpha above 0.5: those rules,
    /// which guard what an operator writes, are not applied to what was already accepted.
    /// </summary>
    public static DeploymentSpecResult ParseStored(string json) => ParseText(json, null, null, stored: true);

    private static DeploymentSpecResult ParseText(string json, string? endpoint, long? version, bool stored)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            return Read(document.RootElement, endpoint, version, stored);
        }
        catch (JsonException e)
        {
            return new DeploymentSpecResult(null, [new DeploymentSpecProblem("", $"the spec is not valid JSON: {e.Message}")]);
        }
    }

    private static DeploymentSpecResult Read(JsonElement root, string? endpoint, long? version, bool stored)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new DeploymentSpecResult(null, [new DeploymentSpecProblem("", $"expected a mapping with endpoint, version and strategy, got {SpecReader.Describe(root)}")]);
        }

        var reader = new SpecReader(stored);
        reader.CheckKeys(root, "", TopKeys);
        var name = reader.String(root, "", "endpoint") ?? endpoint;
        if (string.IsNullOrEmpty(name) && !Given(root, "endpoint"))
        {
            reader.Add("endpoint", "required (the endpoint to deploy to, e.g. 'fraud')");
        }

        var model = reader.String(root, "", "model") ?? name;
        var versionGiven = Given(root, "version");
        var deployed = reader.Integer(root, "", "version", 1) ?? version;
        var strategy = ReadStrategy(root, reader);
        var ab = ExperimentSpecJson.Read(root, reader);
        deployed ??= ab?.Variants.Select(v => (long?)v.Version).Max();
        var experiment = strategy is RolloutStrategy.Ab or RolloutStrategy.Bandit;
        if (deployed is null && !versionGiven && !experiment)
        {
            reader.Add("version", "required (a positive integer, the version folder to deploy)");
        }

        if (experiment && !Given(root, "ab"))
        {
            reader.Add("ab", $"required for strategy {DeploymentSpecWriter.StrategyName(strategy!.Value)} (the arms, e.g. 'ab: {{variants: [{{version: 1, weight: 50}}, {{version: 2, weight: 50}}]}}'); the highest arm is the version deployed");
        }

        if (strategy is { } known && !stored)
        {
            StrategySections.Check(root, known, reader);
        }

        var canary = CanarySectionReader.Read(root, reader);
        var blueGreen = BlueGreenSectionReader.Read(root, reader);
        var shadow = ShadowSectionReader.Read(root, reader);
        var (analysis, inconclusiveAfter) = AnalysisSectionReader.Read(root, reader);
        if (reader.Count > 0)
        {
            return new DeploymentSpecResult(null, reader.Problems);
        }

        return new DeploymentSpecResult(
            new DeploymentSpec
            {
                Endpoint = name!,
                Model = model!,
                Version = deployed!.Value,
                Strategy = strategy!.Value,
                Canary = canary,
                BlueGreen = blueGreen,
                Shadow = shadow,
                Analysis = analysis,
                InconclusiveAfter = inconclusiveAfter,
                Ab = ab ?? ExperimentSpec.Default,
            },
            []);
    }

    private static RolloutStrategy? ReadStrategy(JsonElement root, SpecReader reader)
    {
        if (reader.String(root, "", "strategy") is not { } text)
        {
            if (!Given(root, "strategy"))
            {
                reader.Add("strategy", $"required (one of {string.Join(", ", StrategySections.Names)})");
            }

            return null;
        }

        if (StrategySections.Find(text) is { } strategy)
        {
            return strategy;
        }

        // Names are matched exactly ("blue-green", not "Blue-Green"): one spelling in specs, history and the API.
        var suggestion = Core.Models.Yaml.KeySuggestions.Suggest(text, StrategySections.Names);
        reader.Add("strategy", suggestion is null
            ? $"unknown strategy '{text}' (expected one of: {string.Join(", ", StrategySections.Names)})"
            : $"unknown strategy '{text}' (did you mean '{suggestion}'?)");
        return null;
    }

    private static bool Given(JsonElement root, string key) => root.TryGetProperty(key, out var node) && node.ValueKind != JsonValueKind.Null;
}
