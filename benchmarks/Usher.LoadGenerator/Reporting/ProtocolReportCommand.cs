using System.CommandLine;
using System.Text.Json;
using Usher.LoadGenerator.Load;

namespace Usher.LoadGenerator.Reporting;

/// <summary><c>usher-load report-protocols</c>: the transport comparison section from a results file.</summary>
internal static class ProtocolReportCommand
{
    public static Command Create()
    {
        var results = new Option<FileInfo>("--results") { Description = "JSONL written by run-protocols.sh.", HelpName = "FILE", Required = true };
        var output = new Option<FileInfo>("--output") { Description = "The Markdown file to write.", HelpName = "FILE", Required = true };
        var command = new Option<string>("--command") { Description = "The command line that ran the benchmark, quoted in the document.", HelpName = "TEXT", Required = true };
        var sdk = new Option<string?>("--sdk") { Description = "The .NET SDK version used to build.", HelpName = "VERSION" };
        var quick = new Option<bool>("--quick") { Description = "Mark the section as a smoke run." };
        var report = new Command("report-protocols", "Write the REST JSON / REST binary / gRPC raw comparison (Markdown) from a results file.")
        {
            results, output, command, sdk, quick,
        };
        report.SetAction(async (parse, cancellationToken) =>
        {
            var lines = await File.ReadAllLinesAsync(parse.GetRequiredValue(results).FullName, cancellationToken).ConfigureAwait(false);
            var records = lines.Where(l => !string.IsNullOrWhiteSpace(l))
                .Select(l => JsonSerializer.Deserialize<BenchmarkRecord>(l, ResultJson.Options) ?? throw new InvalidDataException($"results: 'null' is not a run: {l}"))
                .ToList();
            if (records.Count == 0)
            {
                await Console.Error.WriteLineAsync("usher-load report-protocols: the results file has no runs").ConfigureAwait(false);
                return 2;
            }

            var context = new ReportContext(parse.GetRequiredValue(command), parse.GetValue(sdk), DateTimeOffset.UtcNow, parse.GetValue(quick), string.Empty);
            var file = parse.GetRequiredValue(output);
            file.Directory?.Create();
            await File.WriteAllTextAsync(file.FullName, new ProtocolReport(records, MachineInfo.Current(), context).Render(), cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return report;
    }
}
