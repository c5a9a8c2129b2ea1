using System.CommandLine;
using Usher.Cli.Commands;

var root = UsherRootCommand.Create();

// The server handles SIGTERM/Ctrl-C itself (stop accepting, drain, exit 0).
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
