using System.CommandLine;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher rollout status|promote|pause|resume|rollback|history ENDPOINT</c>: watches and steers the
/// rollout of an endpoint.
/// </summary>
internal static class RolloutCommand
{
    public static Command Create(ClientEnvironment env)
    {
        var command = new Command("rollout", "Watch and steer the rollout of an endpoint.");

        var status = new Command("status", "Show the active (or last) rollout: phase, versions, step and weight, next decision, the last analysis and its checks.");
        var statusEndpoint = EndpointArgument();
        status.Add(statusEndpoint);
        var statusClient = new ClientFlags(status);
        status.SetAction((parse, ct) => statusClient.RunAsync(
            parse,
            env,
            (admin, token) => admin.GetRolloutAsync(parse.GetValue(statusEndpoint)!, token),
            (body, writer) => RolloutStatusView.Write(body, writer, env.Time.GetUtcNow()),
            ct));
        command.Add(status);

        command.Add(Action(env, RolloutAction.Promote, "Give the candidate all traffic now, skipping the remaining steps and analyses."));
        command.Add(Action(env, RolloutAction.Pause, "Hold the current weights; the controller takes no step until resume."));
        command.Add(Action(env, RolloutAction.Resume, "Let the controller decide again after a pause or an inconclusive analysis."));
        command.Add(Action(env, RolloutAction.Rollback, "Give the stable version all traffic back and end the rollout."));

        var history = new Command("history", "List the endpoint's audit events: deployments, steps, analyses, operator actions, faults.");
        var historyEndpoint = EndpointArgument();
        history.Add(historyEndpoint);
        var historyClient = new ClientFlags(history);
        history.SetAction((parse, ct) => historyClient.RunAsync(
            parse, env, (admin, token) => admin.GetHistoryAsync(parse.GetValue(historyEndpoint)!, token), HistoryView.Write, ct));
        command.Add(history);
        return command;
    }

    private static Command Action(ClientEnvironment env, RolloutAction action, string description)
    {
        var command = new Command(action.ToString().ToLowerInvariant(), description);
        var endpoint = EndpointArgument();
        var reason = new Option<string?>("--reason")
        {
            Description = "Why, in a few words; recorded in the endpoint's history.",
            HelpName = "TEXT",
        };
        command.Add(endpoint);
        command.Add(reason);
        var version = new Option<long?>("--version")
        {
            Description = "A/B test or bandit: the arm to keep (default: the declared winner).",
            HelpName = "V",
        };
        if (action == RolloutAction.Promote)
        {
            command.Add(version);
        }

        var client = new ClientFlags(command);
        command.SetAction((parse, ct) => client.RunAsync(
            parse,
            env,
            (admin, token) => admin.ActAsync(parse.GetValue(endpoint)!, action, parse.GetValue(reason), token, action == RolloutAction.Promote ? parse.GetValue(version) : null),
            (body, writer) => RolloutStatusView.Write(body, writer, env.Time.GetUtcNow()),
            ct));
        return command;
    }

    private static Argument<string> EndpointArgument() => new("ENDPOINT") { Description = "The endpoint, e.g. fraud." };
}
