using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher deploy</c>: reads a deployment spec (YAML) and flags, checks them offline with the server's
/// own parser, and starts the rollout with <c>POST /admin/deployments</c> (prints the created rollout),
/// or with <c>--dry-run</c> asks the server to validate it (<c>?dry_run=true</c>) and prints its verdict.
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

        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Ask the server to validate the spec without starting anything; prints the spec as the server would run it.",
        };

        var command = new Command("deploy", "Start a rollout of a new version on an endpoint (blue-green, canary, direct or shadow), or an experiment (ab, bandit), from flags and/or a spec file.")
        {
            endpoint, file, version, strategy, steps, interval, rollbackWindow, percent, variants, metric, dryRun,
        };
        var client = new ClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (endpointName, path) = Positionals(parse.GetValue(endpoint), parse.GetValue(file));
            var problems = new List<string>();
            var spec = path is null ? DeploymentSpecSource.Empty() : DeploymentSpecSource.Read(path, problems);
            if (spec is null)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            ApplyFlags(spec, new DeployFlags(endpointName, parse.GetValue(version), parse.GetValue(strategy), parse.GetValue(steps), parse.GetValue(interval), parse.GetValue(rollbackWindow), parse.GetValue(percent), parse.GetValue(variants), parse.GetValue(metric)), problems);
            if (problems.Count == 0)
            {
                problems.AddRange(spec.Check().Messages);
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var body = spec.Json.AsObject();
            var dry = parse.GetValue(dryRun);
            return await client.RunAsync(
                parse,
                env,
                (admin, ct) => admin.DeployAsync(body, ct, dryRun: dry),
                (status, writer) =>
                {
                    if (dry)
                    {
                        DryRunView.Write(status, writer);
                    }
                    else
                    {
                        RolloutStatusView.Write(status, writer, env.Time.GetUtcNow());
                    }
                },
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Lays the flags over the spec, each at its key. Values are sent as a YAML file would give them
    /// (numbers as numbers) and judged by the server's parser; only a flag's own syntax
    /// (<c>--variants 1:50,2:50</c>) is checked here.
    /// </summary>
    public static void ApplyFlags(DeploymentSpecSource spec, DeployFlags flags, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(problems);
        Set(spec, "endpoint", flags.Endpoint, "ENDPOINT", text: true);
        Set(spec, "version", flags.Version, "--version");
        Set(spec, "strategy", flags.Strategy, "--strategy", text: true);
        if (flags.Steps is not null)
        {
            spec.Override("canary.steps", new JsonArray([.. flags.Steps.Split(',', StringSplitOptions.TrimEntries).Select(Scalar)]), "--steps");
        }

        Set(spec, "canary.interval", flags.Interval, "--interval");
        Set(spec, "blue_green.rollback_window", flags.RollbackWindow, "--rollback-window");
        Set(spec, "shadow.percent", flags.Percent?.Trim().TrimEnd('%'), "--percent");
        if (flags.Variants is not null)
        {
            var arms = new JsonArray();
            foreach (var part in flags.Variants.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var pieces = part.Split(':', StringSplitOptions.TrimEntries);
                if (pieces.Length != 2)
                {
                    problems.Add($"--variants: expected VERSION:WEIGHT pairs separated by commas, such as 1:50,2:50, got '{flags.Variants}'");
                    return;
                }

                arms.Add(new JsonObject { ["version"] = Scalar(pieces[0]), ["weight"] = Scalar(pieces[1]) });
            }

            spec.Override("ab.variants", arms, "--variants");
        }

        Set(spec, "ab.metric", flags.Metric, "--metric", text: true);
    }

    private static void Set(DeploymentSpecSource spec, string path, string? value, string flag, bool text = false)
    {
        if (value is not null)
        {
            spec.Override(path, text ? JsonValue.Create(value) : Scalar(value), flag);
        }
    }

    // A flag's value as a plain YAML scalar reads: an integer or a number when it is one, else text.
    private static JsonNode Scalar(string text)
    {
        text = text.Trim();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
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
}
