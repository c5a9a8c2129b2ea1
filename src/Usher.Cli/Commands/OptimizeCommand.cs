using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Usher.Backends.Onnx.Quantization;
using Usher.Cli.Admin;
using Usher.Cli.Optimize;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher optimize</c>: makes models cheaper next to the model repository; each result is a new
/// version of the model, ready for a shadow or canary rollout. Subcommands: <c>quantize</c>, <c>distill</c>.
/// </summary>
internal static class OptimizeCommand
{
    public static Command Create(ClientEnvironment env) => new("optimize", "Make a model cheaper: each result is a new version of the model, for a shadow or canary rollout (docs/optimize.md).")
    {
        Quantize(env),
        DistillCommand.Create(),
    };

    private static Command Quantize(ClientEnvironment env)
    {
        var model = new Argument<string>("MODEL") { Description = "The model (its folder in the repository)." };
        var version = new Option<long>("--version") { Description = "The version to quantize.", HelpName = "V", Required = true };
        var mode = new Option<string>("--mode") { Description = "int8: dynamic INT8 of MatMul, Gemm and Conv weights; fp16: weights stored as FP16 (half the file).", HelpName = "int8|fp16", Required = true };
        mode.AcceptOnlyFromAmong("int8", "fp16");
        var toVersion = new Option<long?>("--to-version") { Description = "The new version's number. Default: the next free one.", HelpName = "N" };
        var repository = new Option<DirectoryInfo?>("--model-repository", "-m") { Description = "Folder of <model>/<version>/model.onnx. Default: the bundled samples/models.", HelpName = "DIR" };
        var calibration = new Option<FileInfo?>("--calibration") { Description = "Request bodies ({\"inputs\": [...]}, JSON or JSONL) to compare the versions on. Default: generated inputs.", HelpName = "FILE" };
        var fromLog = new Option<DirectoryInfo?>("--from-log") { Description = "A request log folder (logging: in config.yaml): compare the versions on the model's logged requests. Not with --calibration.", HelpName = "DIR" };
        var minAgreement = new Option<double?>("--min-agreement") { Description = "Exit 4 and write no version when the top-1 agreement with the original is below this share (0-1).", HelpName = "X" };
        var kernel = new Option<string>("--kernel") { Description = "int8: fused (com.microsoft DynamicQuantizeMatMul, faster) or portable (standard ONNX operators only).", HelpName = "fused|portable", DefaultValueFactory = _ => "fused" };
        kernel.AcceptOnlyFromAmong("fused", "portable");
        var fullRange = new Option<bool>("--full-range") { Description = "int8: 8-bit weights instead of 7-bit; only for files that run on VNNI or ARM CPUs (docs/optimize.md)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads while measuring.", HelpName = "N", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--measure-seconds") { Description = "Time each version runs at each batch size.", HelpName = "S", DefaultValueFactory = _ => 1 };
        var deploy = new Option<string?>("--deploy") { Description = "Start a rollout of the new version on --server right away (the model's endpoint).", HelpName = "shadow|canary" };
        deploy.AcceptOnlyFromAmong("shadow", "canary");

        var command = new Command("quantize", "Quantize a version into a new version directory with quantization.json (ops changed and kept, sizes, accuracy and speed of both versions).")
        {
            model, version, mode, toVersion, repository, calibration, fromLog, minAgreement, kernel, fullRange, threads, seconds, deploy,
        };
        var client = new ClientFlags(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var problems = new List<string>();
            var repo = parse.GetValue(repository)?.FullName ?? BundledSamples.Locate();
            if (repo is null || !Directory.Exists(repo))
            {
                problems.Add(repo is null ? "--model-repository: no repository given and no bundled samples/models found; pass --model-repository DIR" : $"--model-repository: {repo} does not exist");
            }

            if (parse.GetValue(version) < 1)
            {
                problems.Add($"--version: expected a positive integer, got {parse.GetValue(version)}");
            }

            if (parse.GetValue(toVersion) is < 1 and var to)
            {
                problems.Add($"--to-version: expected a positive integer, got {to}");
            }

            if (parse.GetValue(minAgreement) is { } min && !(min > 0 && min <= 1))
            {
                problems.Add($"--min-agreement: expected a share above 0 and at most 1, got {min.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(threads) < 1 || parse.GetValue(seconds) <= 0)
            {
                problems.Add("--threads and --measure-seconds: expected values above 0");
            }

            var int8 = parse.GetValue(mode) == "int8";
            if (!int8 && (parse.GetResult(kernel) is { Implicit: false } || parse.GetValue(fullRange)))
            {
                problems.Add("--kernel and --full-range apply to --mode int8 only");
            }

            if (parse.GetValue(calibration) is not null && parse.GetValue(fromLog) is not null)
            {
                problems.Add("--calibration and --from-log: give one source of inputs, not both");
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            IReadOnlyList<InputBatch>? logged = null;
            if (parse.GetValue(fromLog)?.FullName is { } logDirectory)
            {
                var read = await RequestLogCalibration.ReadAsync(logDirectory, parse.GetValue(model)!, cancellationToken).ConfigureAwait(false);
                if (read.Batches is null)
                {
                    return ClientFlags.Refuse(parse, [read.Problem!]);
                }

                logged = read.Batches;
            }

            var options = new QuantizationOptions(
                int8 ? QuantizationMode.Int8 : QuantizationMode.Fp16,
                parse.GetValue(kernel) == "portable" ? Int8Kernel.Portable : Int8Kernel.Fused,
                ReduceRange: !parse.GetValue(fullRange));
            var settings = new QuantizeSettings(
                repo!,
                parse.GetValue(model)!,
                parse.GetValue(version),
                options,
                parse.GetValue(toVersion),
                parse.GetValue(calibration)?.FullName,
                new ComparisonSettings(IntraOpThreads: parse.GetValue(threads), TimePerPoint: TimeSpan.FromSeconds(parse.GetValue(seconds))),
                parse.GetValue(fromLog)?.FullName);
            var required = parse.GetValue(minAgreement);
            var record = QuantizeJob.Run(settings, r => required is null || r.Report.Top1Agreement >= required, out var written, out var problem, logged);
            if (record is null)
            {
                return ClientFlags.Refuse(parse, [problem!]);
            }

            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue<string>("--output") == "json")
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(record, OptimizeJsonContext.Default.QuantizationRecord)).ConfigureAwait(false);
            }
            else
            {
                QuantizationReportView.Write(record, output);
            }

            if (!written)
            {
                var agreement = record.Report.Top1Agreement is { } a ? a.ToString("0.####", CultureInfo.InvariantCulture) : "not measured (no classifier output: an integer label, or FP32 scores over 2 or more classes)";
                await parse.InvocationConfiguration.Error.WriteLineAsync(
                    $"usher optimize quantize: top-1 agreement {agreement} is below --min-agreement {required!.Value.ToString(CultureInfo.InvariantCulture)}; version {record.Version} was not written").ConfigureAwait(false);
                return ExitCodes.BelowMinAgreement;
            }

            await output.WriteLineAsync($"Wrote {Path.Combine(settings.Repository, settings.Model, record.Version.ToString(CultureInfo.InvariantCulture))} (model.onnx, {QuantizeJob.ReportFileName})").ConfigureAwait(false);
            if (parse.GetValue(deploy) is not { } strategy)
            {
                return ExitCodes.Success;
            }

            var spec = DeploymentSpecSource.Empty();
            DeployCommand.ApplyFlags(spec, new DeployFlags(settings.Model, record.Version.ToString(CultureInfo.InvariantCulture), strategy), problems);
            problems.AddRange(spec.Check().Messages);
            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var body = spec.Json.AsObject();
            return await client.RunAsync(
                parse,
                env,
                (admin, ct) => admin.DeployAsync(body, ct),
                (status, writer) => RolloutStatusView.Write(status, writer, env.Time.GetUtcNow()),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
