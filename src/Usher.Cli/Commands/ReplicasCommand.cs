using System.CommandLine;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary><c>usher replicas</c>: lists the replicas of servers that share their state in PostgreSQL.</summary>
internal static class ReplicasCommand
{
    public static Command Create(ClientEnvironment env)
    {
        var command = new Command("replicas", "List the replicas sharing the server's state (--state postgresql://...): id, address, region, labels, up or down, the leader, models and load.");
        var client = new ClientFlags(command);
        command.SetAction((parse, ct) => client.RunAsync(parse, env, (admin, token) => admin.GetReplicasAsync(token), ReplicasView.Write, ct));
        return command;
    }
}
