using System.CommandLine;
using Usher.Cli.Commands;

var root = new RootCommand("usher: serves ONNX models over the Open Inference Protocol, fast, and ships new versions safely.")
{
    ServeCommand.Create(),
    SamplesCommand.Create(),
};

// The server handles SIGTERM/Ctrl-C itself (stop accepting, drain, exit 0).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
