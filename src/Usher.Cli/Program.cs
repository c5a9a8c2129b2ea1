using System.CommandLine;
using Usher.Cli.Commands;

var root = new RootCommand("""
    usher: serves ONNX models over the Open Inference Protocol, fast, and ships new versions safely.
    'usher serve' runs the server; deploy, rollout, endpoints and fault are clients of its admin API
    (--server URL or USHER_SERVER, default http://127.0.0.1:8000; --token or USHER_TOKEN).
    """)
{
    ServeCommand.Create(),
    DeployCommand.Create(),
    RolloutCommand.Create(),
    EndpointsCommand.Create(),
    FaultCommand.Create(),
    SamplesCommand.Create(),
};

// The server handles SIGTERM/Ctrl-C itself (stop accepting, drain, exit 0).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
