using System.Globalization;
using System.Text.Json;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Deployments;

/// <summary>
/// Reads a deployment spec from JSON (the admin API's body; the CLI converts YAML files to it; a
/// model's <c>config.yaml</c> <c>rollout</c> section arrives the same way). Every problem is
/// collected, each naming its key, and unknown keys get a suggestion.
/// </summary>
public static class DeploymentSpecParser
{
    private static readonly string[] TopKeys = ["endpoint", "model", "version", "strategy", "canary", "blue_green", "shadow", "analysis", "ab"];
    private static readonly string[] CanaryKeys = ["steps", "interval"];
    private static readonly string[] BlueGreenKeys = ["rollback_window", "validation"];
    private static readonly string[] ValidationKeys = ["agreement"];
    private static readonly string[] AgreementKeys = ["samples", "tolerance", "min_agreement", "outputs"];
    private static readonly string[] AnalysisKeys =
    [
        "min_requests", "min_predictions", "inconclusive_after", "max_error_rate", "alpha",
        "max_latency_p99_ratio", "max_latency_p50_ratio", "min_latency_delta_ms", "max_psi",
    ];

    private static readonly (string Name, RolloutStrategy Value)[] Strategies =
        [("canary", RolloutStrategy.Canary), ("blue-green", RolloutStrategy.BlueGreen), ("direct", RolloutStrategy.Direct), ("shadow", RolloutStrategy.Shadow), ("ab", RolloutStrategy.Ab), ("bandit", RolloutStrategy.Bandit)];

    /// <summary>Parses JSON text.</summary>
    public static DeploymentSpecResult Parse(string json, string? endpoint = null, long? version = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement, endpoint, version);
        }
        catch (JsonException e)
        {
            return new DeploymentSpecResult(null, [$"the spec is not valid JSON: {e.Message}"]);
        }
    }

    /// <summary>
    /// Parses a spec. <paramref name="endpoint"/> and <paramref name="version"/> fill in what the
    /// spec leaves out (a <c>rollout</c> section names neither).
    /// </summary>
    public static DeploymentSpecResult Parse(JsonElement root, string? endpoint = null, long? version = null)
    {
        var problems = new List<string>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new DeploymentSpecResult(null, [$"expected a JSON object with endpoint, version and strategy, got {root.ValueKind}"]);
        }

        CheckKeys(root, "", TopKeys, problems);
        var name = String(root, "endpoint", problems) ?? endpoint;
        if (string.IsNullOrEmpty(name))
        {
            problems.Add("endpoint: required (the endpoint to deploy to, e.g. 'fraud')");
        }

        var model = String(root, "model", problems) ?? name;
        var ab = ExperimentSpecJson.Read(root, problems);
        var deployed = Integer(root, "version", 1, problems) ?? version ?? ab?.Variants.Select(v => (long?)v.Version).Max();
        if (deployed is null && !root.TryGetProperty("version", out _))
        {
            problems.Add("version: required (a positive integer, the version folder to deploy)");
        }

        RolloutStrategy? strategy = null;
        if (String(root, "strategy", problems) is { } strategyName)
        {
            var match = Strategies.FirstOrDefault(s => s.Name == strategyName);
            if (match.Name is null)
            {
                problems.Add($"strategy: unknown strategy '{strategyName}' (expected one of {string.Join(", ", Strategies.Select(s => s.Name))})");
            }
            else
            {
                strategy = match.Value;
            }
        }
        else if (!root.TryGetProperty("strategy", out _))
        {
            problems.Add($"strategy: required (one of {string.Join(", ", Strategies.Select(s => s.Name))})");
        }

        if (strategy is RolloutStrategy.Ab or RolloutStrategy.Bandit && ab is null)
        {
            problems.Add($"ab: required for strategy {DeploymentSpecWriter.StrategyName(strategy.Value)} (the arms, e.g. 'ab: {{variants: [{{version: 1, weight: 50}}, {{version: 2, weight: 50}}]}}')");
        }

        var canary = ReadCanary(root, problems);
        var blueGreen = ReadBlueGreen(root, problems);
        var shadow = ReadShadow(root, problems);
        var (analysis, inconclusiveAfter) = ReadAnalysis(root, problems);
        if (problems.Count > 0)
        {
            return new DeploymentSpecResult(null, problems);
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

    private static CanarySpec ReadCanary(JsonElement root, List<string> problems)
    {
        var spec = CanarySpec.Default;
        if (!Section(root, "canary", CanaryKeys, problems, out var canary))
        {
            return spec;
        }

        var steps = spec.Steps;
        if (canary.TryGetProperty("steps", out var stepsNode))
        {
            if (stepsNode.ValueKind != JsonValueKind.Array)
            {
                problems.Add("canary.steps: expected a list of weights in percent, e.g. [5, 25, 50, 100]");
            }
            else
            {
                var list = new List<int>();
                foreach (var item in stepsNode.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var weight) && weight is >= 1 and <= 100)
                    {
                        list.Add(weight);
                    }
                    else
                    {
                        problems.Add($"canary.steps: {item} is not a weight (expected an integer from 1 to 100)");
                    }
                }

                if (list.Count == 0)
                {
                    problems.Add("canary.steps: expected at least one step, ending at 100");
                }
                else if (list[^1] != 100)
                {
                    problems.Add($"canary.steps: the last step is {list[^1]}, expected 100 (the canary ends with all traffic)");
                }

                if (list.Count > 0 && list[0] == 100)
                {
                    problems.Add("canary.steps: [100] leaves no step to analyze (steps below 100 are judged; reaching 100 is the promotion); use strategy direct to switch at once");
                }

                if (list.Zip(list.Skip(1)).Any(p => p.Second <= p.First))
                {
                    problems.Add($"canary.steps: [{string.Join(", ", list)}] must be strictly ascending");
                }

                steps = list;
            }
        }

        var interval = Duration(canary, "canary.interval", "interval", problems) ?? spec.Interval;
        if (interval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"canary.interval: {Durations.Format(interval)} is too short (at least 1s)");
        }

        return new CanarySpec(steps, interval);
    }

    private static BlueGreenSpec ReadBlueGreen(JsonElement root, List<string> problems)
    {
        var spec = BlueGreenSpec.Default;
        if (!Section(root, "blue_green", BlueGreenKeys, problems, out var section))
        {
            return spec;
        }

        var window = Duration(section, "blue_green.rollback_window", "rollback_window", problems) ?? spec.RollbackWindow;
        var agreement = spec.Agreement;
        if (section.TryGetProperty("validation", out var validation))
        {
            if (validation.ValueKind == JsonValueKind.Null)
            {
                agreement = null;
            }
            else if (validation.ValueKind != JsonValueKind.Object)
            {
                problems.Add("blue_green.validation: expected a mapping (e.g. 'agreement: {samples: 50}') or null to skip validation");
            }
            else
            {
                CheckKeys(validation, "blue_green.validation.", ValidationKeys, problems);
                if (validation.TryGetProperty("agreement", out var a))
                {
                    if (a.ValueKind == JsonValueKind.Null)
                    {
                        agreement = null;
                    }
                    else if (a.ValueKind != JsonValueKind.Object)
                    {
                        problems.Add("blue_green.validation.agreement: expected a mapping with samples, tolerance, min_agreement");
                    }
                    else
                    {
                        CheckKeys(a, "blue_green.validation.agreement.", AgreementKeys, problems);
                        var defaults = new AgreementSpec();
                        agreement = new AgreementSpec(
                            (int)(Integer(a, "samples", 1, problems, "blue_green.validation.agreement.") ?? defaults.Samples),
                            Number(a, "tolerance", 0, double.MaxValue, problems, "blue_green.validation.agreement.") ?? defaults.Tolerance,
                            Number(a, "min_agreement", 0, 1, problems, "blue_green.validation.agreement.") ?? defaults.MinAgreement,
                            Names(a, "outputs", problems, "blue_green.validation.agreement."));
                    }
                }
            }
        }

        return new BlueGreenSpec(window, agreement);
    }

    private static ShadowSpec ReadShadow(JsonElement root, List<string> problems)
    {
        var spec = ShadowSpec.Default;
        if (!Section(root, "shadow", ShadowSpecJson.Keys, problems, out var s))
        {
            return spec;
        }

        const string prefix = "shadow.";
        ShadowGateSpec? gate = null;
        if (s.TryGetProperty("gate", out var g) && g.ValueKind != JsonValueKind.Null)
        {
            if (g.ValueKind != JsonValueKind.Object)
            {
                problems.Add("shadow.gate: expected a mapping with min_agreement, max_latency_p99_ratio, min_samples, or null for no gate");
            }
            else
            {
                CheckKeys(g, "shadow.gate.", ShadowSpecJson.GateKeys, problems);
                var defaults = new ShadowGateSpec();
                gate = new ShadowGateSpec(
                    Number(g, "min_agreement", 0, 1, problems, "shadow.gate.") ?? defaults.MinAgreement,
                    Number(g, "max_latency_p99_ratio", 1, double.MaxValue, problems, "shadow.gate.") ?? defaults.MaxLatencyP99Ratio,
                    (int)(Integer(g, "min_samples", 1, problems, "shadow.gate.") ?? defaults.MinSamples));
            }
        }

        var percent = Number(s, "percent", 0, 100, problems, prefix) ?? spec.Percent;
        if (percent <= 0)
        {
            problems.Add("shadow.percent: 0 mirrors nothing (expected more than 0, up to 100)");
        }

        return new ShadowSpec(
            percent,
            (int)Math.Min(int.MaxValue, Integer(s, "queue", 1, problems, prefix) ?? spec.Queue),
            Number(s, "tolerance", 0, double.MaxValue, problems, prefix) ?? spec.Tolerance,
            gate);
    }

    private static (AnalysisSettings Settings, TimeSpan InconclusiveAfter) ReadAnalysis(JsonElement root, List<string> problems)
    {
        var defaults = new AnalysisSettings();
        var inconclusive = TimeSpan.FromMinutes(10);
        if (!Section(root, "analysis", AnalysisKeys, problems, out var a))
        {
            return (defaults, inconclusive);
        }

        const string prefix = "analysis.";
        var settings = defaults with
        {
            MinRequests = (int)(Integer(a, "min_requests", 1, problems, prefix) ?? defaults.MinRequests),
            MinPredictions = (int)(Integer(a, "min_predictions", 1, problems, prefix) ?? defaults.MinPredictions),
            MaxErrorRate = Number(a, "max_error_rate", 0, 1, problems, prefix) ?? defaults.MaxErrorRate,
            Alpha = Number(a, "alpha", 0, 1, problems, prefix) ?? defaults.Alpha,
            MaxLatencyP99Ratio = Number(a, "max_latency_p99_ratio", 1, double.MaxValue, problems, prefix) ?? defaults.MaxLatencyP99Ratio,
            MaxLatencyP50Ratio = Number(a, "max_latency_p50_ratio", 1, double.MaxValue, problems, prefix) ?? defaults.MaxLatencyP50Ratio,
            MinLatencyDeltaMs = Number(a, "min_latency_delta_ms", 0, double.MaxValue, problems, prefix) ?? defaults.MinLatencyDeltaMs,
            MaxPsi = Number(a, "max_psi", 0, double.MaxValue, problems, prefix) ?? defaults.MaxPsi,
        };
        inconclusive = Duration(a, "analysis.inconclusive_after", "inconclusive_after", problems) ?? inconclusive;
        if (problems.Count == 0)
        {
            problems.AddRange(settings.Validate().Select(p => "analysis: " + p));
        }

        return (settings, inconclusive);
    }

    private static bool Section(JsonElement root, string key, string[] keys, List<string> problems, out JsonElement section)
    {
        if (!root.TryGetProperty(key, out section) || section.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{key}: expected a mapping, got {section.ValueKind}");
            return false;
        }

        CheckKeys(section, key + ".", keys, problems);
        return true;
    }

    internal static void CheckKeys(JsonElement element, string prefix, string[] known, List<string> problems)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                var suggestion = known.OrderBy(k => Distance(k, property.Name)).First();
                var hint = Distance(suggestion, property.Name) <= Math.Max(2, suggestion.Length / 3) ? $" (did you mean '{suggestion}'?)" : "";
                problems.Add($"{prefix}{property.Name}: unknown key{hint}; expected one of {string.Join(", ", known)}");
            }
        }
    }

    internal static string? String(JsonElement element, string key, List<string> problems)
    {
        if (!element.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(node.GetString()))
        {
            problems.Add($"{key}: expected a non-empty string, got {node}");
            return null;
        }

        return node.GetString();
    }

    private static List<string>? Names(JsonElement element, string key, List<string> problems, string prefix)
    {
        if (!element.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.Array || node.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(n.GetString())))
        {
            problems.Add($"{prefix}{key}: expected a list of output names, e.g. [label]");
            return null;
        }

        return [.. node.EnumerateArray().Select(n => n.GetString()!)];
    }

    internal static long? Integer(JsonElement element, string key, long min, List<string> problems, string prefix = "")
    {
        if (!element.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        long value;
        if (node.ValueKind == JsonValueKind.Number && node.TryGetInt64(out value))
        {
        }
        else if (node.ValueKind == JsonValueKind.String && long.TryParse(node.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
        }
        else
        {
            problems.Add($"{prefix}{key}: expected an integer >= {min}, got {node}");
            return null;
        }

        if (value < min)
        {
            problems.Add($"{prefix}{key}: {value} is below the minimum {min}");
            return null;
        }

        return value;
    }

    internal static double? Number(JsonElement element, string key, double min, double max, List<string> problems, string prefix)
    {
        if (!element.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (node.ValueKind != JsonValueKind.Number || !node.TryGetDouble(out var value) || !double.IsFinite(value))
        {
            problems.Add($"{prefix}{key}: expected a number, got {node}");
            return null;
        }

        if (value < min || value > max)
        {
            var range = max == double.MaxValue ? $">= {min.ToString(CultureInfo.InvariantCulture)}" : $"from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}";
            problems.Add($"{prefix}{key}: {value.ToString(CultureInfo.InvariantCulture)} is out of range (expected {range})");
            return null;
        }

        return value;
    }

    internal static TimeSpan? Duration(JsonElement element, string path, string key, List<string> problems)
    {
        if (!element.TryGetProperty(key, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var parsed = node.ValueKind switch
        {
            JsonValueKind.String => Durations.Parse(node.GetString()!),
            JsonValueKind.Number when node.TryGetDouble(out var seconds) && seconds >= 0 => TimeSpan.FromSeconds(seconds),
            _ => null,
        };
        if (parsed is null)
        {
            problems.Add($"{path}: '{node}' is not a duration (expected e.g. 500ms, 90s, 10m, 1h)");
        }

        return parsed;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
