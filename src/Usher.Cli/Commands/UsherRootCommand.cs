using System.CommandLine;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary>The <c>usher</c> command with all its subcommands.</summary>
internal static class UsherRootCommand
{
    /// <summary>The root command; the client commands send through <paramref name="environment"/> (tests pass a fake).</summary>
    public static RootCommand Create(ClientEnvironment? environment = null)
    {
        var env = environment ?? ClientEnvironment.Default;
        return new RootCommand("""
            usher: serves ONNX models over the Open Inference Protocol, fast, and ships new versions safely.
            'usher serve' runs the server; deploy, rollout, endpoints and fault are clients of its admin API
            (--server URL or USHER_SERVER, default http://127.0.0.1:8000; --token or USHER_TOKEN).
            """)
        {
            ServeCommand.Create(),
            DeployCommand.Create(env),
            RolloutCommand.Create(env),
            EndpointsCommand.Create(env),
            FaultCommand.Create(env),
            SamplesCommand.Create(),
        };
    }
}
