using System.CommandLine;
using Usher.Cli.Commands;

// The server handles SIGTERM/Ctrl-C itself (stop accepting, drain, exit 0).
return await UsherRootCommand.InvokeAsync(args, new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
