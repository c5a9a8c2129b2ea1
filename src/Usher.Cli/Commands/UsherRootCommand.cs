using System.CommandLine;
using Usher.Cli.Admin;

namespace Usher.Cli.Commands;

/// <summary>The <c>usher</c> command with all its subcommands.</summary>
internal static class UsherRootCommand
{
    /// <summary>
    /// Parses and runs a command line. A command line that does not parse (an unknown flag, a value
    /// outside a flag's choices) exits <see cref="ExitCodes.BadCommandLine"/>, not System.CommandLine's
    /// 1, so that 1 means only that a request failed.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration configuration, ClientEnvironment? environment = null)
    {
        var parse = Create(environment).Parse(args);
        var exit = await parse.InvokeAsync(configuration).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? ExitCodes.BadCommandLine : exit;
    }

    /// <summary>The root command; the client commands send through <paramref name="environment"/> (tests pass a fake).</summary>
    public static RootCommand Create(ClientEnvironment? environment = null)
    {
        var env = environment ?? ClientEnvironment.Default;
        return new RootCommand("""
            usher: serves ONNX models over the Open Inference Protocol, fast, and ships new versions safely.
            'usher serve' runs the server; 'usher gateway' routes across its replicas; deploy, rollout, endpoints, fault and replicas are clients of its admin API;
            'usher bench' loads a model on a running server and measures it; 'usher batch' scores a file (CSV, JSONL, Parquet);
            'usher optimize quantize' writes an INT8 or FP16 version of a model; 'usher profile' right-sizes one
            (--server URL or USHER_SERVER, default http://127.0.0.1:8000; --token or USHER_TOKEN).
            """)
        {
            ServeCommand.Create(),
            GatewayCommand.Create(),
            DeployCommand.Create(env),
            RolloutCommand.Create(env),
            ExperimentCommand.Create(env),
            EndpointsCommand.Create(env),
            FaultCommand.Create(env),
            ReplicasCommand.Create(env),
            PullCommand.Create(env),
            SamplesCommand.Create(),
            BenchCommand.Create(env),
            BatchCommand.Create(),
            StreamCommand.Create(),
            OptimizeCommand.Create(env),
            ProfileCommand.Create(),
        };
    }
}
