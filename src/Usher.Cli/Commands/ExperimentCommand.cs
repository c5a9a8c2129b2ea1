using System.CommandLine;
using System.Globalization;
using Usher.Cli.Admin;
using Usher.ControlPlane.Experiments;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher experiment plan</c> (sample size, offline) and <c>usher experiment results ENDPOINT</c>
/// (an A/B test's or bandit's results from the admin API).
/// </summary>
internal static class ExperimentCommand
{
    public static Command Create(ClientEnvironment env)
    {
        var command = new Command("experiment", "Plan A/B tests and read their results.");

        var results = new Command("results", "Show the experiment's decision (winner, loser or not yet) and why, the SRM check, and each arm against the control.");
        var endpoint = new Argument<string>("ENDPOINT") { Description = "The endpoint, e.g. fraud." };
        results.Add(endpoint);
        var client = new ClientFlags(results);
        results.SetAction((parse, ct) => client.RunAsync(
            parse, env, (admin, token) => admin.GetExperimentAsync(parse.GetValue(endpoint)!, token), ExperimentView.Write, ct));
        command.Add(results);

        var plan = new Command("plan", "Units per arm to detect an absolute lift of a conversion rate (two-sided, equal arms; no server needed).");
        var baseline = new Option<double>("--baseline") { Description = "The control's conversion rate, e.g. 0.10.", HelpName = "RATE", Required = true };
        var mde = new Option<double>("--mde") { Description = "The smallest absolute lift worth detecting, e.g. 0.02 (10% to 12%).", HelpName = "LIFT", Required = true };
        var alpha = new Option<double>("--alpha") { Description = "Significance level (two-sided).", HelpName = "A", DefaultValueFactory = _ => 0.05 };
        var power = new Option<double>("--power") { Description = "Chance to detect a lift of exactly --mde.", HelpName = "P", DefaultValueFactory = _ => 0.8 };
        plan.Add(baseline);
        plan.Add(mde);
        plan.Add(alpha);
        plan.Add(power);
        plan.SetAction(parse =>
        {
            double b = parse.GetValue(baseline), d = parse.GetValue(mde), a = parse.GetValue(alpha), p = parse.GetValue(power);
            var (perArm, problem) = ExperimentPlan.ForProportions(b, d, a, p);
            if (problem is not null)
            {
                return ClientFlags.Refuse(parse, [problem]);
            }

            var output = parse.InvocationConfiguration.Output;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{perArm} units per arm ({2 * perArm} in all) to detect {b:0.####} -> {b + d:0.####} ({d:+0.####;-0.####} absolute, {d / b:+0.#%;-0.#%} relative) at alpha {a:0.###} two-sided with power {p:0.##%}."));
            output.WriteLine("That is the fixed-horizon size. The sequential test that decides (always valid, watched continuously) stops sooner when the effect is larger than the MDE and needs somewhat more units at exactly the MDE.");
            return ExitCodes.Success;
        });
        command.Add(plan);
        return command;
    }
}
