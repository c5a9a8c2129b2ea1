using Usher.LoadGenerator.Load;
using Usher.LoadGenerator.Reporting;

var root = LoadCommand.Create();
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(ProtocolReportCommand.Create());
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
