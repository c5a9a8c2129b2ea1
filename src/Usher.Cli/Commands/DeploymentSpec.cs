using System.Text.Json.Nodes;

namespace Usher.Cli.Commands;

/// <summary>
/// A deployment as the CLI sends it (<c>POST /admin/deployments</c>): read from a YAML spec file,
/// overridden by flags, checked by <see cref="DeploymentSpecValidator"/>. Null means "not given": the
/// server applies its default. Durations stay as written (<c>60s</c>) and travel as strings.
/// </summary>
internal sealed record DeploymentSpec
{
    /// <summary>The strategies the server knows, as specs spell them.</summary>
    public static readonly IReadOnlyList<string> Strategies = ["canary", "blue-green", "direct", "shadow", "ab", "bandit"];

    /// <summary>No value given.</summary>
    public static DeploymentSpec Empty { get; } = new();

    /// <summary>The endpoint to deploy to (<c>endpoint</c>).</summary>
    public string? Endpoint { get; init; }

    /// <summary>The model whose version is deployed (<c>model</c>); the server defaults it to the endpoint.</summary>
    public string? Model { get; init; }

    /// <summary>The candidate version (<c>version</c>).</summary>
    public long? Version { get; init; }

    /// <summary><c>canary</c>, <c>blue-green</c>, <c>direct</c> or <c>shadow</c> (<c>strategy</c>).</summary>
    public string? Strategy { get; init; }

    /// <summary>Candidate weights in percent, ascending, ending at 100 (<c>canary.steps</c>).</summary>
    public IReadOnlyList<long>? Steps { get; init; }

    /// <summary>Time between canary steps (<c>canary.interval</c>).</summary>
    public string? Interval { get; init; }

    /// <summary>How long a blue-green switch can be undone instantly (<c>blue_green.rollback_window</c>).</summary>
    public string? RollbackWindow { get; init; }

    /// <summary>The pre-switch validation of a blue-green deployment (<c>blue_green.validation</c>), as read.</summary>
    public JsonObject? Validation { get; init; }

    /// <summary>The shadow settings (<c>shadow</c>: percent, queue, tolerance, gate), as read.</summary>
    public JsonObject? Shadow { get; init; }

    /// <summary>The share of requests mirrored to a shadow (<c>shadow.percent</c>, <c>--percent</c>).</summary>
    public double? Percent { get; init; }

    /// <summary>The analysis thresholds (<c>analysis</c>), as read.</summary>
    public JsonObject? Analysis { get; init; }

    /// <summary>An A/B test's or bandit's arms and statistics (<c>ab</c>), as read.</summary>
    public JsonObject? Ab { get; init; }

    /// <summary>This spec with every value that <paramref name="overrides"/> gives replaced by it.</summary>
    public DeploymentSpec OverriddenBy(DeploymentSpec overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        return new DeploymentSpec
        {
            Endpoint = overrides.Endpoint ?? Endpoint,
            Model = overrides.Model ?? Model,
            Version = overrides.Version ?? Version,
            Strategy = overrides.Strategy ?? Strategy,
            Steps = overrides.Steps ?? Steps,
            Interval = overrides.Interval ?? Interval,
            RollbackWindow = overrides.RollbackWindow ?? RollbackWindow,
            Validation = overrides.Validation ?? Validation,
            Analysis = overrides.Analysis ?? Analysis,
            Shadow = overrides.Shadow ?? Shadow,
            Percent = overrides.Percent ?? Percent,
            Ab = Merge(Ab, overrides.Ab),
        };
    }

    /// <summary>The request body: the spec's keys in snake_case, only those given.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        Set(json, "endpoint", Endpoint);
        Set(json, "model", Model);
        if (Version is { } version)
        {
            json["version"] = version;
        }

        // "Blue-Green" is accepted; the server gets the spelling of the contract.
        Set(json, "strategy", Strategies.FirstOrDefault(s => s.Equals(Strategy, StringComparison.OrdinalIgnoreCase)) ?? Strategy);
        if (Steps is not null || Interval is not null)
        {
            var canary = new JsonObject();
            if (Steps is not null)
            {
                canary["steps"] = new JsonArray([.. Steps.Select(s => (JsonNode)s)]);
            }

            Set(canary, "interval", Interval);
            json["canary"] = canary;
        }

        if (RollbackWindow is not null || Validation is not null)
        {
            var blueGreen = new JsonObject();
            Set(blueGreen, "rollback_window", RollbackWindow);
            if (Validation is not null)
            {
                blueGreen["validation"] = Validation.DeepClone();
            }

            json["blue_green"] = blueGreen;
        }

        if (Shadow is not null || Percent is not null)
        {
            var shadow = Shadow?.DeepClone().AsObject() ?? [];
            if (Percent is { } percent)
            {
                shadow["percent"] = percent;
            }

            json["shadow"] = shadow;
        }

        if (Analysis is not null)
        {
            json["analysis"] = Analysis.DeepClone();
        }

        if (Ab is not null)
        {
            json["ab"] = Ab.DeepClone();
        }

        return json;
    }

    // The flags' ab keys (--variants, --metric) replace the file's, key by key.
    private static JsonObject? Merge(JsonObject? file, JsonObject? flags)
    {
        if (file is null || flags is null)
        {
            return (JsonObject?)(flags ?? file)?.DeepClone();
        }

        var merged = (JsonObject)file.DeepClone();
        foreach (var (key, value) in flags)
        {
            merged[key] = value?.DeepClone();
        }

        return merged;
    }

    private static void Set(JsonObject json, string key, string? value)
    {
        if (value is not null)
        {
            json[key] = value;
        }
    }
}
