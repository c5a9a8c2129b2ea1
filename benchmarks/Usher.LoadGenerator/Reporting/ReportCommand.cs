using System.CommandLine;
using System.Text.Json;
using Usher.LoadGenerator.Load;

namespace Usher.LoadGenerator.Reporting;

/// <summary><c>usher-load report</c>: turns a run's results file into the benchmarks document.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var results = new Option<FileInfo>("--results")
        {
            Description = "JSON lines, one per run: {\"model\", \"config\": bare|off|on, \"concurrency\", \"result\": <usher-load --json>}.",
            HelpName = "FILE",
            Required = true,
        };
        var output = new Option<FileInfo>("--output", "-o")
        {
            Description = "The Markdown file to write.",
            HelpName = "FILE",
            Required = true,
        };
        var command = new Option<string>("--command")
        {
            Description = "The command line that produced the results, quoted in the document.",
            HelpName = "TEXT",
            Required = true,
        };
        var sdk = new Option<string?>("--sdk") { Description = "The .NET SDK version used to build.", HelpName = "VERSION" };
        var quick = new Option<bool>("--quick") { Description = "Mark the document as a smoke run." };
        var batching = new Option<string>("--batching-on")
        {
            Description = "The dynamic_batching section of the 'batching on' server, quoted in the document.",
            HelpName = "YAML",
            Required = true,
        };
        var appendix = new Option<FileInfo[]>("--appendix")
        {
            Description = "Markdown appended as it is (the engine micro-benchmarks and the transport comparison, recorded separately); may be repeated.",
            HelpName = "FILE",
            AllowMultipleArgumentsPerToken = false,
        };

        var report = new Command("report", "Write the benchmarks document (Markdown) from a results file.")
        {
            results, output, command, sdk, quick, batching, appendix,
        };
        report.SetAction(async (parse, cancellationToken) =>
        {
            var records = new List<BenchmarkRecord>();
            var lines = await File.ReadAllLinesAsync(parse.GetRequiredValue(results).FullName, cancellationToken).ConfigureAwait(false);
            foreach (var line in lines.Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                records.Add(JsonSerializer.Deserialize<BenchmarkRecord>(line, ResultJson.Options)
                    ?? throw new InvalidDataException($"results: 'null' is not a run: {line}"));
            }

            var context = new ReportContext(parse.GetRequiredValue(command), parse.GetValue(sdk), DateTimeOffset.UtcNow, parse.GetValue(quick), parse.GetRequiredValue(batching));
            var markdown = new MarkdownReport(records, MachineInfo.Current(), context).Render();
            foreach (var extra in parse.GetValue(appendix) ?? [])
            {
                if (extra.Exists)
                {
                    markdown += Environment.NewLine + await File.ReadAllTextAsync(extra.FullName, cancellationToken).ConfigureAwait(false);
                }
            }

            var file = parse.GetRequiredValue(output);
            file.Directory?.Create();
            await File.WriteAllTextAsync(file.FullName, markdown, cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return report;
    }
}
