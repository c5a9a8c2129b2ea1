using System.CommandLine;
using System.Globalization;
using Usher.Cli.Batch;

namespace Usher.Cli.Commands;

/// <summary>
/// <c>usher batch MODEL --input FILE --output FILE</c>: scores a file (CSV, JSONL, Parquet) in process
/// through the server's pipeline, resumably; <c>usher batch merge</c> joins shard outputs.
/// </summary>
internal static class BatchCommand
{
    public static Command Create(TimeProvider? time = null)
    {
        var model = new Argument<string>("model") { Description = "The model to score with (a folder of the model repository)." };
        var input = new Option<string>("--input", "-i") { Description = "The file to score: .csv (with a header), .jsonl or .parquet.", HelpName = "FILE", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The file to write, in the format of its extension: .csv, .jsonl or .parquet.", HelpName = "FILE", Required = true };
        var version = new Option<long?>("--version") { Description = "The model version. Default: the newest ready one (with --server: the one the endpoint routes to).", HelpName = "V" };
        var repository = new Option<DirectoryInfo?>("--model-repository", "-m") { Description = "Folder of <model>/<version>/model.onnx (+ config.yaml). Default: the bundled samples/models.", HelpName = "DIR" };
        var keep = new Option<string?>("--keep") { Description = "Input columns to copy to the output, before the model's outputs (id,ts).", HelpName = "COLS" };
        var columns = new Option<string[]>("--columns") { Description = "Which columns feed a model input, in order (repeat per input). Default: INPUT_0 ... INPUT_{W-1}, or a list column named INPUT.", HelpName = "INPUT=C1,C2,...", AllowMultipleArgumentsPerToken = false };
        var errors = new Option<string?>("--errors") { Description = "Where rows that cannot be scored go (CSV row,reason). Default: OUTPUT-NAME.errors.csv beside the output, written when a row fails.", HelpName = "FILE" };
        var maxErrors = new Option<double>("--max-error-fraction") { Description = "Stop with exit code 3 when more than this fraction of the rows read so far failed.", HelpName = "F", DefaultValueFactory = _ => 0.01 };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its last committed chunk (state in OUTPUT.usher-batch/); starts afresh when there is none." };
        var server = new Option<string?>("--server") { Description = "Score on a running Usher over gRPC (its gRPC address, such as http://usher:8001) instead of in this process.", HelpName = "URL" };
        var shard = new Option<string?>("--shard") { Description = "Score only the I-th of N parts (0-based; by Parquet row groups or line ranges), for N processes or an Indexed Job.", HelpName = "I/N" };
        var chunkRows = new Option<int?>("--chunk-rows") { Description = "Rows per committed chunk. Default: a whole number of batches, about 1M values.", HelpName = "N", Hidden = true };
        var compression = new Option<string?>("--compression") { Description = "The codec of a Parquet output: none, snappy, zstd, gzip, lz4 or brotli. Default: snappy, none for a wide floating-point output (64 or more floats per row).", HelpName = "CODEC" };
        var passThrough = new Option<bool>("--pass-through") { Description = "Do everything but run the model (outputs are zeros): the I/O limit, for benchmarks.", Hidden = true };

        var command = new Command("batch", """
            Score a file with a model: read, batch at the model's max_batch_size, run on all its instances, write; rows stay in order.
            In this process through the server's own pipeline (validation, batcher, instances), or on a server with --server.
            Input mapping: for an input 'features' of width W, columns features_0 ... features_{W-1}, a list column 'features'
            (Parquet, JSONL arrays), or --columns features=C1,C2,... Outputs: 'probabilities' of width K becomes probabilities_0 ...
            in CSV and a list column in Parquet and JSONL. Resumable (--resume) after a crash, with the same output bytes.
            Exit codes: 0 done; 1 stopped by an I/O error (resumable); 2 bad flags, model, files or mapping; 3 too many failed rows.
            Examples:
              usher batch fraud --input transactions.parquet --output scores.parquet --keep id
              usher batch fraud -i data.csv -o scores.csv --resume
              usher batch fraud -i big.parquet -o part-$(JOB_COMPLETION_INDEX).parquet --shard $(JOB_COMPLETION_INDEX)/8
            """)
        {
            model, input, output, version, repository, keep, columns, errors, maxErrors, resume, server, shard, compression, chunkRows, passThrough,
        };
        command.Subcommands.Add(CreateMerge());
        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<string>();
            var fraction = parse.GetValue(maxErrors);
            if (!(fraction >= 0 && fraction <= 1))
            {
                problems.Add($"--max-error-fraction: expected a fraction from 0 to 1, got {fraction.ToString(CultureInfo.InvariantCulture)}");
            }

            var shardSpec = ShardSpec.Whole;
            if (parse.GetValue(shard) is { } shardText)
            {
                shardSpec = ShardSpec.Parse(shardText, out var shardProblem) ?? ShardSpec.Whole;
                if (shardProblem is not null)
                {
                    problems.Add(shardProblem);
                }
            }

            Uri? serverUri = null;
            if (parse.GetValue(server) is { } serverText)
            {
                if (Uri.TryCreate(serverText.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    serverUri = uri;
                }
                else
                {
                    problems.Add($"--server: expected the gRPC address of an Usher server such as http://127.0.0.1:8001, got '{serverText}'");
                }
            }

            Parquet.CompressionMethod? codec = null;
            if (parse.GetValue(compression) is { } codecName)
            {
                if (ParquetFiles.Codecs.TryGetValue(codecName.Trim(), out var named))
                {
                    codec = named;
                }
                else
                {
                    problems.Add($"--compression: expected one of {string.Join(", ", ParquetFiles.Codecs.Keys)}, got '{codecName}'");
                }
            }

            if (parse.GetValue(chunkRows) is < 1)
            {
                problems.Add("--chunk-rows: expected at least 1");
            }

            var mapping = ParseColumns(parse.GetValue(columns) ?? [], problems);
            var repositoryPath = parse.GetValue(repository)?.FullName;
            if (repositoryPath is null && serverUri is null)
            {
                repositoryPath = BundledSamples.Locate();
                if (repositoryPath is null)
                {
                    problems.Add("--model-repository: no repository given and no bundled samples/models found; pass --model-repository DIR");
                }
            }

            if (problems.Count > 0)
            {
                return ClientFlags.Refuse(parse, problems);
            }

            var keepColumns = parse.GetValue(keep) is { } keepText
                ? keepText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : [];
            var settings = new BatchJobSettings(
                parse.GetValue(model)!,
                parse.GetValue(version),
                parse.GetValue(input)!,
                parse.GetValue(output)!,
                repositoryPath ?? string.Empty,
                keepColumns,
                mapping,
                parse.GetValue(errors),
                fraction,
                parse.GetValue(resume),
                serverUri,
                shardSpec,
                parse.GetValue(chunkRows),
                parse.GetValue(passThrough),
                codec);
            var job = new BatchJob(settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, time ?? TimeProvider.System);
            return await job.RunAsync(ct).ConfigureAwait(false);
        });
        return command;
    }

    private static Command CreateMerge()
    {
        var parts = new Argument<string[]>("shard-outputs") { Description = "The shards' outputs, in shard order.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "The merged file (same format as the shards').", HelpName = "FILE", Required = true };
        var merge = new Command("merge", """
            Join shard outputs, in the order given, into one file: CSV keeps one header, JSONL is concatenated, Parquet's row groups are copied.
            Example: usher batch merge --output scores.parquet part-0.parquet part-1.parquet part-2.parquet
            """)
        {
            parts, output,
        };
        merge.SetAction(async (parse, ct) => await BatchMerge.RunAsync(parse.GetValue(parts)!, parse.GetValue(output)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct).ConfigureAwait(false));
        return merge;
    }

    private static Dictionary<string, IReadOnlyList<string>> ParseColumns(string[] values, List<string> problems)
    {
        var mapping = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            var names = equals > 0 ? value[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries) : [];
            if (equals <= 0 || names.Length == 0 || names.Any(string.IsNullOrEmpty))
            {
                problems.Add($"--columns: expected INPUT=C1,C2,... (such as features=amount,age,score), got '{value}'");
                continue;
            }

            if (!mapping.TryAdd(value[..equals].Trim(), names))
            {
                problems.Add($"--columns: input '{value[..equals].Trim()}' is mapped twice");
            }
        }

        return mapping;
    }
}
