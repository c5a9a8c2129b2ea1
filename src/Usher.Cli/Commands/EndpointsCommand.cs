using System.CommandLine;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary><c>usher endpoints</c>: lists the endpoints with their variants and weights, rollout and faults.</summary>
internal static class EndpointsCommand
{
    public static Command Create(ClientEnvironment env)
    {
        var command = new Command("endpoints", "List the endpoints: each version's traffic weight, the rollout phase, the injected faults.");
        var client = new ClientFlags(command);
        command.SetAction((parse, ct) => client.RunAsync(parse, env, (admin, token) => admin.GetEndpointsAsync(token), EndpointsView.Write, ct));
        return command;
    }
}
