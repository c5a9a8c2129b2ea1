using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Usher.Cli.Profile;
using Usher.ControlPlane.Deployments;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher profile MODEL</c>: Usher's model analyzer. Sweeps dynamic batch size x instances x
/// intra-op threads (and versions quantized from the one profiled) through a real server in process, prints the Pareto
/// frontier of throughput and p99, recommends a <c>config.yaml</c> section for a latency SLO, and
/// sizes replicas for a target load (docs/optimize.md, "Right-sizing").
/// </summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The model (its folder in the repository)." };
        var version = new Option<long?>("--version") { Description = "The version to profile. Default: the newest.", HelpName = "V" };
        var slo = new Option<double?>("--slo-p99-ms") { Description = "The p99 latency objective: the recommendation is the highest-throughput point within it, less --slo-headroom. Default: none (the highest throughput).", HelpName = "X" };
        var headroom = new Option<double>("--slo-headroom")
        {
            Description = "The share of --slo-p99-ms the recommendation keeps free: the highest-throughput point with p99 <= SLO x (1 - this); when none is, the best within the SLO, marked as without headroom. 0 for none.",
            HelpName = "FRACTION",
            DefaultValueFactory = _ => Recommender.DefaultSloHeadroom,
        };
        var target = new Option<double?>("--target-rps") { Description = "The load to serve: the answer says how many replicas of how many cores and GiB it takes.", HelpName = "R" };
        var repository = new Option<DirectoryInfo?>("--model-repository", "-m") { Description = "Folder of <model>/<version>/model.onnx (only read). Default: the bundled samples/models.", HelpName = "DIR" };
        var output = new Option<string>("--output", "-o") { Description = "text: the report to read; json: one record for scripts and capacity planning (docs/optimize.md).", HelpName = "text|json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var duration = new Option<string?>("--duration", "-d") { Description = "Each point's measured window. Default: 2s (1s with --quick).", HelpName = "DURATION" };
        var warmup = new Option<string>("--warmup") { Description = "Load before each point's window (0 for none).", HelpName = "DURATION", DefaultValueFactory = _ => "500ms" };
        var quick = new Option<bool>("--quick") { Description = "A smaller default grid (batch sizes 1 and 32) and 1s per point." };
        var batchSizes = new Option<string?>("--batch-sizes") { Description = "Dynamic batch sizes to sweep; 1 = dynamic batching off. Default: 1,8,64 (fitted to the model's max_batch_size).", HelpName = "N[,N...]" };
        var instances = new Option<string?>("--instances") { Description = "Instance counts to sweep. Default: 1 and one per core.", HelpName = "N[,N...]" };
        var threads = new Option<string?>("--threads") { Description = "ONNX Runtime intra-op thread counts to sweep. Default: 1 and all cores. Pairs with instances x threads above the cores are left out.", HelpName = "N[,N...]" };
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Requests in flight at every point. Default: 2 x batch size x instances (enough to keep every instance busy).", HelpName = "N" };
        var noQuantized = new Option<bool>("--no-quantized") { Description = "Leave out versions quantized from the profiled one (found by their quantization.json)." };
        var protocol = new Option<string>("--protocol", "-p") { Description = "How the load generator talks to each point's server: rest (JSON), rest-binary or grpc.", HelpName = "rest|rest-binary|grpc", DefaultValueFactory = _ => "rest" };
        protocol.AcceptOnlyFromAmong("rest", "rest-binary", "grpc");
        var repeats = new Option<int>("--repeats")
        {
            Description = "How many times to measure the contenders for the recommendation (the default config and the fastest points within the SLO), interleaved: each is judged on its median, and points closer than their runs' spread count as ties, won by the default config, then by fewer resources. 1: every point once.",
            HelpName = "K",
            DefaultValueFactory = _ => ProfileJob.DefaultRepeats,
        };
        var seed = new Option<int>("--seed") { Description = "Seeds the generated inputs.", HelpName = "N", DefaultValueFactory = _ => 1 };

        var command = new Command("profile", """
            Right-size a model: sweep dynamic batch size x instances x intra-op threads (and versions quantized from it), each point a
            real server in this process (Kestrel, the REST/gRPC frontend, the pipeline) loaded by `usher bench` in a process of its own
            (on the machine's other cores when there are any), with inputs generated from the model's metadata; print the server's
            throughput (cores / its CPU per answer), p50/p99 and memory per point, the Pareto frontier, the config.yaml section for --slo-p99-ms, and the replicas, cores and
            memory that --target-rps needs. The sweep's duration is printed before it starts.
            Examples:
              usher profile fraud --slo-p99-ms 5 --target-rps 20000
              usher profile mlp-large --quick --output json > profile.json
              taskset -c 0 usher profile fraud --slo-p99-ms 5      # what one core gives
            """)
        {
            model, version, slo, headroom, target, repository, output, duration, warmup, quick, batchSizes, instances, threads, concurrency, noQuantized, protocol, repeats, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var problems = new List<string>();
            var repo = parse.GetValue(repository)?.FullName ?? BundledSamples.Locate();
            if (repo is null || !Directory.Exists(repo))
            {
                problems.Add(repo is null ? "--model-repository: no repository given and no bundled samples/models found; pass --model-repository DIR" : $"--model-repository: {repo} does not exist");
            }

            if (parse.GetValue(version) is < 1 and var v)
            {
                problems.Add($"--version: expected a positive integer, got {v}");
            }

            Positive("--slo-p99-ms", "a latency in milliseconds", parse.GetValue(slo), problems);
            Positive("--target-rps", "requests per second", parse.GetValue(target), problems);
            if (parse.GetValue(headroom) is var h && !(h >= 0 && h < 1))
            {
                problems.Add($"--slo-headroom: expected a share of the SLO from 0 to below 1 (such as 0.3), got {h.ToString(CultureInfo.InvariantCulture)}");
            }

            if (parse.GetValue(repeats) is < 1 and var k)
            {
                problems.Add($"--repeats: expected how many times to measure each contender, 1 or more, got {k}");
            }

            if (parse.GetValue(concurrency) is < 1 and var c)
            {
                problems.Add($"--concurrency: expected requests in flight >= 1, got {c}");
            }

            var isQuick = parse.GetValue(quick);
            var measured = Duration("--duration", parse.GetValue(duration) ?? (isQuick ? "1s" : "2s"), allowZero: false, problems);
            var warm = Duration("--warmup", parse.GetValue(warmup)!, allowZero: true, problems);
            var cores = Environment.ProcessorCount;
            var grid = ProfileGrid.Default(cores, isQuick);
            grid = grid with
            {
                BatchSizes = List("--batch-sizes", parse.GetValue(batchSizes), problems) ?? grid.BatchSizes,
                BatchSizesGiven = parse.GetValue(batchSizes) is not null,
                Instances = List("--instances", parse.GetValue(instances), problems) ?? grid.Instances,
                Threads = List("--threads", parse.GetValue(threads), problems) ?? grid.Threads,
            };
            if (problems.Count == 0)
            {
                grid.Check(problems);
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var settings = new ProfileSettings(
                repo!, parse.GetValue(model)!, parse.GetValue(version), parse.GetValue(slo), parse.GetValue(target), grid, warm, measured,
                parse.GetValue(concurrency), !parse.GetValue(noQuantized), parse.GetValue(seed), parse.GetValue(protocol)!, parse.GetValue(headroom), parse.GetValue(repeats));

            // The sweep measures on real time, as the load runner's Stopwatch does.
            var error = parse.InvocationConfiguration.Error;
            var report = await ProfileJob.RunAsync(settings, error, TimeProvider.System, problems, cancellationToken).ConfigureAwait(false);
            if (report is null)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var writer = parse.InvocationConfiguration.Output;
            if (parse.GetValue(output) == "json")
            {
                await writer.WriteLineAsync(JsonSerializer.Serialize(ProfileRecord.From(report), ProfileJsonContext.Default.ProfileRecord)).ConfigureAwait(false);
            }
            else
            {
                ProfileReportView.Write(report, writer);
            }

            if (report.Recommended is null)
            {
                await error.WriteLineAsync(
                    $"usher profile: no point has a p99 within --slo-p99-ms {settings.SloP99Ms!.Value.ToString(CultureInfo.InvariantCulture)}: try more cores, a quantized version, or a looser objective").ConfigureAwait(false);
                return ExitCodes.SloNotMet;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void Positive(string flag, string what, double? value, List<string> problems)
    {
        if (value is { } x && !(x > 0 && double.IsFinite(x)))
        {
            problems.Add($"{flag}: expected {what} > 0, got {x.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static int[]? List(string flag, string? text, List<string> problems)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : 0).ToArray();
        if (values.Any(n => n == 0))
        {
            problems.Add($"{flag}: expected a comma-separated list of integers >= 1 (such as 1,2,4), got '{text}'");
            return null;
        }

        return [.. values.Distinct()];
    }

    private static TimeSpan Duration(string flag, string text, bool allowZero, List<string> problems)
    {
        if (allowZero && text.Trim() == "0")
        {
            return TimeSpan.Zero;
        }

        if (Durations.Parse(text) is { } parsed && (parsed > TimeSpan.Zero || (allowZero && parsed == TimeSpan.Zero)))
        {
            return parsed;
        }

        problems.Add($"{flag}: expected {Durations.Expected}{(allowZero ? " (or 0)" : "")}, got '{text}'");
        return TimeSpan.Zero;
    }
}
