using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Usher.Backends.Onnx.Distillation;
using Usher.Backends.Onnx.Quantization;
using Usher.Cli.Optimize;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher optimize distill</c>: trains a small MLP student on a teacher version's probabilities
/// and writes it as a new version of the teacher's model, with <c>distillation.json</c>.
/// </summary>
internal static class DistillCommand
{
    public static Command Create()
    {
        var teacher = new Option<string>("--teacher") { Description = "The teacher: its model folder and version.", HelpName = "MODEL:V", Required = true };
        var student = new Option<string>("--student") { Description = "The student: hidden layer widths of an MLP (ReLU between them, softmax out).", HelpName = "mlp:H1,H2,...", DefaultValueFactory = _ => "mlp:64,32" };
        var data = new Option<FileInfo?>("--data") { Description = "Rows of the teacher's input: CSV (with a header), JSONL or Parquet, columns as usher batch maps them (features_0 ... features_29).", HelpName = "FILE" };
        var fromLog = new Option<DirectoryInfo?>("--from-log") { Description = "Rows from the model's request logs (logging: in config.yaml).", HelpName = "DIR" };
        var toVersion = new Option<long?>("--to-version") { Description = "The new version's number. Default: the next free one.", HelpName = "N" };
        var temperature = new Option<float>("--temperature") { Description = "Distillation temperature: the teacher's and student's probabilities are softened by it.", HelpName = "T", DefaultValueFactory = _ => 2f };
        var epochs = new Option<int>("--epochs") { Description = "The most passes over the training rows (training stops earlier when the held-out agreement stops improving).", HelpName = "E", DefaultValueFactory = _ => 30 };
        var patience = new Option<int>("--patience") { Description = "Epochs without a better held-out agreement before stopping.", HelpName = "P", DefaultValueFactory = _ => 5 };
        var seed = new Option<ulong>("--seed") { Description = "Seeds the initial weights, the held-out split and the shuffles: the same seed, data and machine give the same student.", HelpName = "S", DefaultValueFactory = _ => 1UL };
        var repository = new Option<DirectoryInfo?>("--model-repository", "-m") { Description = "Folder of <model>/<version>/model.onnx. Default: the bundled samples/models.", HelpName = "DIR" };
        var minAgreement = new Option<double?>("--min-agreement") { Description = "Exit 4 and write no version when the student's top-1 agreement with the teacher on the held-out rows is below this share (0-1).", HelpName = "X" };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads while measuring.", HelpName = "N", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--measure-seconds") { Description = "Time each model runs at each batch size.", HelpName = "S", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--output", "-o") { Description = "The report as text, or as the JSON of distillation.json.", HelpName = "table|json", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json");

        var command = new Command("distill", "Train a small MLP student on a teacher version's probabilities; write it as a new version with distillation.json (agreement, score error, sizes and speed of both).")
        {
            teacher, student, data, fromLog, toVersion, temperature, epochs, patience, seed, repository, minAgreement, threads, seconds, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var problems = new List<string>();
            var repo = parse.GetValue(repository)?.FullName ?? BundledSamples.Locate();
            if (repo is null || !Directory.Exists(repo))
            {
                problems.Add(repo is null ? "--model-repository: no repository given and no bundled samples/models found; pass --model-repository DIR" : $"--model-repository: {repo} does not exist");
            }

            var (model, version) = ParseTeacher(parse.GetValue(teacher)!, problems);
            var spec = StudentSpec.Parse(parse.GetValue(student), out var specProblem);
            if (specProblem is not null)
            {
                problems.Add(specProblem);
            }

            var dataFile = parse.GetValue(data);
            var logDirectory = parse.GetValue(fromLog);
            if ((dataFile is null) == (logDirectory is null))
            {
                problems.Add("expected exactly one of --data FILE and --from-log DIR (the rows the teacher is run on and the student learns from)");
            }

            if (parse.GetValue(toVersion) is < 1 and var to)
            {
                problems.Add($"--to-version: expected a positive integer, got {to}");
            }

            if (!(parse.GetValue(temperature) is > 0 and <= 100))
            {
                problems.Add($"--temperature: expected a number above 0 and at most 100, got {parse.GetValue(temperature).ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(epochs) is < 1 or > 10_000 || parse.GetValue(patience) < 1)
            {
                problems.Add("--epochs and --patience: expected at least 1 (and at most 10000 epochs)");
            }

            if (parse.GetValue(minAgreement) is { } min && !(min > 0 && min <= 1))
            {
                problems.Add($"--min-agreement: expected a share above 0 and at most 1, got {min.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(threads) < 1 || parse.GetValue(seconds) <= 0)
            {
                problems.Add("--threads and --measure-seconds: expected values above 0");
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            ITrainingRows rows = dataFile is not null ? new DataFileRows(dataFile.FullName) : new RequestLogRows(logDirectory!.FullName, model!);
            var settings = new DistillSettings(
                repo!,
                model!,
                version,
                spec!,
                rows,
                parse.GetValue(toVersion),
                new TrainingOptions(Temperature: parse.GetValue(temperature), Epochs: parse.GetValue(epochs), Seed: parse.GetValue(seed), Patience: parse.GetValue(patience)),
                new ComparisonSettings(IntraOpThreads: parse.GetValue(threads), TimePerPoint: TimeSpan.FromSeconds(parse.GetValue(seconds))));
            var required = parse.GetValue(minAgreement);
            var error = parse.InvocationConfiguration.Error;
            var result = await DistillJob.RunAsync(settings, r => required is null || r.HeldOutAgreement >= required, error, cancellationToken).ConfigureAwait(false);
            if (result.Record is not { } record)
            {
                return ClientFlags.Refuse(parse, result.Problems);
            }

            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == "json")
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(record, DistillationJsonContext.Default.DistillationRecord)).ConfigureAwait(false);
            }
            else
            {
                DistillationReportView.Write(record, writer);
            }

            if (!result.Written)
            {
                var agreement = record.HeldOutAgreement is { } a ? a.ToString("0.####", CultureInfo.InvariantCulture) : "not measured";
                await error.WriteLineAsync($"usher optimize distill: top-1 agreement {agreement} is below --min-agreement {required!.Value.ToString(CultureInfo.InvariantCulture)}; version {record.Version} was not written").ConfigureAwait(false);
                return ExitCodes.BelowMinAgreement;
            }

            await writer.WriteLineAsync($"Wrote {Path.Combine(settings.Repository, settings.Model, record.Version.ToString(CultureInfo.InvariantCulture))} (model.onnx, {DistillJob.ReportFileName})").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private static (string? Model, long Version) ParseTeacher(string text, List<string> problems)
    {
        var colon = text.LastIndexOf(':');
        if (colon > 0 && long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0)
        {
            return (text[..colon], version);
        }

        problems.Add($"--teacher '{text}': expected MODEL:VERSION, a model folder and a positive version number (e.g. fraud-teacher:1)");
        return (null, 0);
    }
}
