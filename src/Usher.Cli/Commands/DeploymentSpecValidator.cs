using Usher.Core.Models.Yaml;

namespace Usher.Cli.Commands;

/// <summary>
/// The rules a deployment must meet once the spec file and the flags are merged: the required keys,
/// a known strategy, canary steps ascending to 100, and each section matching the strategy. The
/// server checks again (versions exist, no rollout is active); this catches what can be caught here.
/// </summary>
internal static class DeploymentSpecValidator
{
    /// <summary>Every problem of <paramref name="spec"/>, empty when it can be sent.</summary>
    /// <param name="spec">The merged spec.</param>
    /// <param name="refused">Key paths already reported by the reader: a rule on them stays silent.</param>
    public static IReadOnlyList<string> Validate(DeploymentSpec spec, IReadOnlyCollection<string> refused)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(refused);
        var problems = new List<string>();
        if (spec.Endpoint is null && !IsRefused(refused, "endpoint"))
        {
            problems.Add("endpoint: missing; give ENDPOINT on the command line or 'endpoint:' in the spec file");
        }

        var experiment = spec.Strategy is { } named && (named.Equals("ab", StringComparison.OrdinalIgnoreCase) || named.Equals("bandit", StringComparison.OrdinalIgnoreCase));
        if (experiment && spec.Ab?["variants"] is null && !IsRefused(refused, "ab"))
        {
            problems.Add($"ab.variants (--variants): missing; an experiment needs its arms, e.g. --variants 1:50,2:50");
        }
        else if (!experiment && spec.Ab is not null && spec.Strategy is not null)
        {
            problems.Add($"ab (--variants, --metric): applies only to strategies ab and bandit, not {spec.Strategy}; remove it or use --strategy ab");
        }

        // An experiment's version is its arms'; the server takes the highest as the candidate.
        if (spec.Version is null && !experiment && !IsRefused(refused, "version"))
        {
            problems.Add("version: missing; pass --version V or set 'version:' in the spec file");
        }
        else if (spec.Version <= 0)
        {
            problems.Add($"version: expected a positive integer, got {spec.Version}");
        }

        var strategy = IsRefused(refused, "strategy") ? null : CheckStrategy(spec.Strategy, problems);
        CheckSteps(spec.Steps, problems);

        // A shadow becomes a canary when promoted: its canary schedule applies then.
        if (strategy is not null && strategy is not ("canary" or "shadow"))
        {
            if (spec.Steps is not null)
            {
                problems.Add($"canary.steps (--steps): applies only to strategy canary, not {strategy}; remove it or use --strategy canary");
            }

            if (spec.Interval is not null)
            {
                problems.Add($"canary.interval (--interval): applies only to strategy canary, not {strategy}; remove it or use --strategy canary");
            }
        }

        if (strategy is not null && strategy != "blue-green")
        {
            if (spec.RollbackWindow is not null)
            {
                problems.Add($"blue_green.rollback_window (--rollback-window): applies only to strategy blue-green, not {strategy}; remove it or use --strategy blue-green");
            }

            if (spec.Validation is not null)
            {
                problems.Add($"blue_green.validation: applies only to strategy blue-green, not {strategy}; remove it or use --strategy blue-green");
            }
        }

        if (strategy is not null && strategy != "shadow" && (spec.Shadow is not null || spec.Percent is not null))
        {
            problems.Add($"shadow (--percent): applies only to strategy shadow, not {strategy}; remove it or use --strategy shadow");
        }

        return problems;
    }

    private static bool IsRefused(IReadOnlyCollection<string> refused, string key)
        => refused.Any(r => r == key || r.StartsWith(key + "[", StringComparison.Ordinal) || r.StartsWith(key + ".", StringComparison.Ordinal));

    private static string? CheckStrategy(string? strategy, List<string> problems)
    {
        if (strategy is null)
        {
            problems.Add($"strategy: missing; pass --strategy {string.Join("|", DeploymentSpec.Strategies)} or set 'strategy:' in the spec file");
            return null;
        }

        var known = DeploymentSpec.Strategies.FirstOrDefault(s => s.Equals(strategy, StringComparison.OrdinalIgnoreCase));
        if (known is not null)
        {
            return known;
        }

        var suggestion = KeySuggestions.Suggest(strategy, DeploymentSpec.Strategies);
        problems.Add(suggestion is null
            ? $"strategy: unknown strategy '{strategy}' (expected one of: {string.Join(", ", DeploymentSpec.Strategies)})"
            : $"strategy: unknown strategy '{strategy}' (did you mean '{suggestion}'?)");
        return null;
    }

    private static void CheckSteps(IReadOnlyList<long>? steps, List<string> problems)
    {
        if (steps is null)
        {
            return;
        }

        if (steps.Count == 0)
        {
            problems.Add("canary.steps: expected at least one weight, ending at 100, e.g. 5,25,50,100");
            return;
        }

        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is < 1 or > 100)
            {
                problems.Add($"canary.steps[{i}]: expected a weight from 1 to 100 (percent), got {steps[i]}");
            }
            else if (i > 0 && steps[i] <= steps[i - 1])
            {
                problems.Add($"canary.steps[{i}]: weights must ascend, got {steps[i]} after {steps[i - 1]}");
            }
        }

        if (steps[^1] != 100)
        {
            problems.Add($"canary.steps: the last weight must be 100 so that the candidate ends with all traffic, got {steps[^1]}; append 100");
        }
    }
}
