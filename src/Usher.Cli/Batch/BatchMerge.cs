using Parquet;
using Usher.Cli.Commands;

namespace Usher.Cli.Batch;

/// <summary>
/// <c>usher batch merge</c>: joins shard outputs, in the order given, into one file of the same
/// format, without decoding a row: CSV keeps the first header (every shard's must be the same) and
/// copies the bytes after each shard's header, JSONL is concatenated, Parquet copies every row
/// group's bytes and writes one footer (<see cref="ParquetConcatenation"/>; every shard's schema must
/// be the same). Where Parquet.Net cannot write that footer, Parquet row groups are re-encoded.
/// </summary>
internal static class BatchMerge
{
    /// <summary>Merges <paramref name="inputs"/> into <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> inputs, string output, TextWriter stdout, TextWriter error, CancellationToken cancellationToken)
    {
        var format = FileFormats.FromPath(output);
        var problems = new List<string>();
        if (format is null)
        {
            problems.Add(FileFormats.Refusal("--output", output));
        }

        foreach (var input in inputs)
        {
            if (FileFormats.FromPath(input) != format)
            {
                problems.Add($"{input}: expected a {(format is { } f ? FileFormats.Extension(f) : "file of the output's format")} shard output like the output file");
            }
            else if (!File.Exists(input))
            {
                problems.Add($"{input} does not exist (did every shard finish?)");
            }
        }

        if (inputs.Count == 0)
        {
            problems.Add("no shard outputs to merge; pass them in order: usher batch merge --output all.parquet part-0.parquet part-1.parquet ...");
        }

        if (problems.Count == 0)
        {
            var temporary = Path.GetFullPath(output) + ".tmp";
            try
            {
                await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
                {
                    var problem = format switch
                    {
                        FileFormat.Csv => await MergeCsvAsync(inputs, stream, cancellationToken).ConfigureAwait(false),
                        FileFormat.Jsonl => await MergeTextAsync(inputs, stream, cancellationToken).ConfigureAwait(false),
                        _ => await MergeParquetAsync(inputs, stream, cancellationToken).ConfigureAwait(false),
                    };
                    if (problem is not null)
                    {
                        problems.Add(problem);
                    }
                }

                if (problems.Count == 0)
                {
                    File.Move(temporary, output, overwrite: true);
                    await stdout.WriteLineAsync($"usher batch merge: {inputs.Count} shard outputs -> {output}").ConfigureAwait(false);
                    return ExitCodes.Success;
                }
            }
            catch (Exception ex) when (ex is IOException or ParquetException or UnauthorizedAccessException)
            {
                problems.Add($"cannot merge: {ex.Message}");
            }

            File.Delete(temporary);
        }

        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"usher batch merge: {problem}").ConfigureAwait(false);
        }

        return ExitCodes.BadSettings;
    }

    private static async Task<string?> MergeCsvAsync(IReadOnlyList<string> inputs, Stream output, CancellationToken cancellationToken)
    {
        string? header = null;
        foreach (var input in inputs)
        {
            using var reader = new StreamReader(input);
            var first = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
            if (header is null)
            {
                header = first;
                await output.WriteAsync(System.Text.Encoding.UTF8.GetBytes(first + "\n"), cancellationToken).ConfigureAwait(false);
            }
            else if (first != header)
            {
                return $"{input}: its header differs from {inputs[0]}'s; shards of one job have the same columns";
            }

            // Copy the rest as bytes: from just after the first newline.
            await using var raw = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            raw.Position = System.Text.Encoding.UTF8.GetByteCount(first) + 1;
            if (raw.Position < raw.Length)
            {
                await raw.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    private static async Task<string?> MergeTextAsync(IReadOnlyList<string> inputs, Stream output, CancellationToken cancellationToken)
    {
        foreach (var input in inputs)
        {
            await using var raw = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            await raw.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static async Task<string?> MergeParquetAsync(IReadOnlyList<string> inputs, Stream output, CancellationToken cancellationToken)
    {
        var schema = await ParquetReader.ReadSchemaAsync(inputs[0]).ConfigureAwait(false);
        foreach (var input in inputs.Skip(1))
        {
            var other = await ParquetReader.ReadSchemaAsync(input).ConfigureAwait(false);
            if (!other.Equals(schema))
            {
                return $"{input}: its schema differs from {inputs[0]}'s ({other.GetNotEqualsMessage(schema, input, inputs[0])})";
            }
        }

        if (ParquetConcatenation.IsAvailable)
        {
            // The row groups' bytes as the shards wrote them, under one footer: nothing decoded.
            await ParquetConcatenation.WriteAsync(inputs, output, cancellationToken).ConfigureAwait(false);
            return null;
        }

        await using var writer = await ParquetWriter.CreateAsync(schema, output, ParquetFiles.Options(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var leaves = schema.GetDataFields();
        foreach (var input in inputs)
        {
            await using var reader = await ParquetReader.CreateAsync(input, ParquetFiles.Options(), cancellationToken).ConfigureAwait(false);
            var from = reader.Schema.GetDataFields();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var source = reader.OpenRowGroupReader(g);
                using var group = writer.CreateRowGroup();
                for (var i = 0; i < leaves.Length; i++)
                {
                    await ParquetRowGroupCopy.CopyAsync(source, from[i], group, leaves[i], checked((int)source.RowCount), cancellationToken).ConfigureAwait(false);
                }

                group.CompleteValidate();
            }
        }

        return null;
    }
}
