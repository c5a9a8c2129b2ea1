using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher deploy</c>: reads a deployment spec (YAML) and flags, checks them, and starts the rollout
/// with <c>POST /admin/deployments</c>; prints the created rollout.
/// </summary>
internal static class DeployCommand
{
    public static Command Create(ClientEnvironment env)
    {
        var endpoint = new Argument<string?>("ENDPOINT")
        {
            Description = "The endpoint to deploy to. Default: the spec file's 'endpoint'.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var file = new Argument<string?>("SPEC_FILE")
        {
            Description = "A deployment spec (YAML); see samples/deployments/. Flags override its keys.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var version = new Option<string?>("--version")
        {
            Description = "The candidate version (a positive integer). Overrides 'version'.",
            HelpName = "V",
        };
        var strategy = new Option<string?>("--strategy")
        {
            Description = "How traffic moves to the candidate. Overrides 'strategy'.",
            HelpName = "blue-green|canary|direct|shadow|ab|bandit",
        };
        var steps = new Option<string?>("--steps")
        {
            Description = "Canary weights in percent, ascending, ending at 100. Overrides 'canary.steps'.",
            HelpName = "5,25,50,100",
        };
        var interval = new Option<string?>("--interval")
        {
            Description = "Canary time per step (500ms, 90s, 10m, 1h). Overrides 'canary.interval'.",
            HelpName = "DURATION",
        };
        var rollbackWindow = new Option<string?>("--rollback-window")
        {
            Description = "Blue-green: how long the old version stays ready for an instant rollback. Overrides 'blue_green.rollback_window'.",
            HelpName = "DURATION",
        };
        var percent = new Option<string?>("--percent")
        {
            Description = "Shadow: the share of requests mirrored to the candidate, above 0 to 100. Overrides 'shadow.percent'.",
            HelpName = "P",
        };
        var variants = new Option<string?>("--variants")
        {
            Description = "A/B test or bandit: the arms and their weights in percent; the version serving now must be one (the control). Overrides 'ab.variants'.",
            HelpName = "1:50,2:50",
        };
        var metric = new Option<string?>("--metric")
        {
            Description = "A/B test or bandit: the outcome metric that feedback reports (default conversion). Overrides 'ab.metric'.",
            HelpName = "NAME",
        };

        var command = new Command("deploy", "Start a rollout of a new version on an endpoint (blue-green, canary, direct or shadow), or an experiment (ab, bandit), from flags and/or a spec file.")
        {
            endpoint, file, version, strategy, steps, interval, rollbackWindow, percent, variants, metric,
        };
        var client = new ClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (endpointName, path) = Positionals(parse.GetValue(endpoint), parse.GetValue(file));
            var fromFile = path is null ? new DeploymentSpecReadResult(DeploymentSpec.Empty, [], []) : DeploymentSpecFile.Read(path);
            var fromFlags = ReadFlags(endpointName, parse.GetValue(version), parse.GetValue(strategy), parse.GetValue(steps), parse.GetValue(interval), parse.GetValue(rollbackWindow), parse.GetValue(percent), parse.GetValue(variants), parse.GetValue(metric));
            var spec = fromFile.Spec.OverriddenBy(fromFlags.Spec);
            var problems = fromFlags.Problems
                .Concat(fromFile.Problems)
                .Concat(DeploymentSpecValidator.Validate(spec, [.. fromFile.Refused, .. fromFlags.Refused]))
                .ToList();
            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var body = spec.ToJson();
            return await client.RunAsync(
                parse,
                env,
                (admin, ct) => admin.DeployAsync(body, ct),
                (status, writer) => RolloutStatusView.Write(status, writer, env.Time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// The flags as a spec that overrides the file's. Each refused flag is a problem naming the flag
    /// and its key, and is left out so that the file's value is not silently used in its place.
    /// </summary>
    public static DeploymentSpecReadResult ReadFlags(string? endpoint, string? version, string? strategy, string? steps, string? interval, string? rollbackWindow, string? percent = null, string? variants = null, string? metric = null)
    {
        var problems = new List<string>();
        var refused = new List<string>();
        var spec = new DeploymentSpec { Endpoint = endpoint, Strategy = strategy };

        if (version is not null)
        {
            if (long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0)
            {
                spec = spec with { Version = v };
            }
            else
            {
                problems.Add($"--version: expected a positive integer, got '{version}'");
                refused.Add("version");
            }
        }

        if (steps is not null)
        {
            var weights = new List<long>();
            foreach (var part in steps.Split(',', StringSplitOptions.TrimEntries))
            {
                if (long.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var w))
                {
                    weights.Add(w);
                }
                else
                {
                    problems.Add($"--steps: expected weights in percent separated by commas, such as 5,25,50,100, got '{steps}'");
                    refused.Add("canary.steps");
                    weights = null;
                    break;
                }
            }

            spec = spec with { Steps = weights };
        }

        if (percent is not null)
        {
            if (double.TryParse(percent.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p > 0 && p <= 100)
            {
                spec = spec with { Percent = p };
            }
            else
            {
                problems.Add($"--percent: expected a share of requests above 0 and up to 100, such as 10, got '{percent}'");
                refused.Add("shadow.percent");
            }
        }

        if (variants is not null || metric is not null)
        {
            var ab = new JsonObject();
            if (variants is not null)
            {
                if (ExperimentSpecText.Variants(variants, problems) is { } arms)
                {
                    ab["variants"] = arms;
                }
                else
                {
                    refused.Add("ab.variants");
                }
            }

            if (metric is not null)
            {
                ab["metric"] = metric;
            }

            spec = spec with { Ab = ab };
        }

        spec = spec with
        {
            Interval = Duration(interval, "--interval", "canary.interval", problems, refused),
            RollbackWindow = Duration(rollbackWindow, "--rollback-window", "blue_green.rollback_window", problems, refused),
        };
        return new DeploymentSpecReadResult(spec, problems, refused);
    }

    // With one positional, "usher deploy fraud.yaml" means the file and "usher deploy fraud" the endpoint.
    private static (string? Endpoint, string? File) Positionals(string? first, string? second)
    {
        if (second is null && first is not null && LooksLikeFile(first))
        {
            return (null, first);
        }

        return (first, second);
    }

    private static bool LooksLikeFile(string text)
        => text.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            || text.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            || text.Contains('/', StringComparison.Ordinal)
            || text.Contains('\\', StringComparison.Ordinal);

    private static string? Duration(string? text, string flag, string key, List<string> problems, List<string> refused)
    {
        if (text is null)
        {
            return null;
        }

        if (DurationText.Parse(text) is not null)
        {
            return text.Trim();
        }

        problems.Add($"{flag}: {DurationText.Refusal(text)}");
        refused.Add(key);
        return null;
    }
}
