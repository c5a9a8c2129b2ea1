using System.Globalization;
using System.Runtime;
using Parquet;
using Usher.Cli.Commands;

namespace Usher.Cli.Batch;

/// <summary>
/// One run of <c>usher batch</c>: checks everything it can before reading a row (the model, the
/// files, the column mapping; exit 2 with what was expected), then scores the rows through a
/// <see cref="BatchPipeline"/>, committing chunk by chunk to a <see cref="ChunkStore"/>, which appends
/// each chunk to the output file, and finishes that file. Stops with exit 3 when more rows fail than <c>--max-error-fraction</c> allows.
/// </summary>
internal sealed class BatchJob(BatchJobSettings settings, TextWriter stdout, TextWriter error, TimeProvider time)
{
    /// <summary>Values per chunk the automatic chunk size aims at (8 MiB of parsed values).</summary>
    public const int ChunkValues = 1 << 20;

    /// <summary>Runs the job; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // A batch job wants throughput and a flat footprint, not short pauses: blocking full
        // collections (no background GC) free the large buffers that Parquet.Net's decoder and the
        // encoders leave behind at once, where a background collection carries the ones allocated
        // while it runs into the next (docs/batch.md, "Memory").
        var latency = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.Batch;

        try
        {
            return await RunJobAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            GCSettings.LatencyMode = latency;
        }
    }

    private async Task<int> RunJobAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var problems = new List<string>();
        var inputFormat = FileFormats.FromPath(settings.Input);
        var outputFormat = FileFormats.FromPath(settings.Output);
        if (inputFormat is null)
        {
            problems.Add(FileFormats.Refusal("--input", settings.Input));
        }
        else if (!File.Exists(settings.Input))
        {
            problems.Add($"--input: {Path.GetFullPath(settings.Input)} does not exist");
        }

        if (outputFormat is null)
        {
            problems.Add(FileFormats.Refusal("--output", settings.Output));
        }
        else if (outputFormat == FileFormat.Parquet && !ParquetConcatenation.IsAvailable)
        {
            problems.Add($"--output: this build's Parquet.Net has no footer writer, which a Parquet output's row groups are joined with; write {Path.ChangeExtension(settings.Output, ".csv")} or .jsonl instead");
        }

        if (problems.Count > 0)
        {
            return await RefuseAsync(problems).ConfigureAwait(false);
        }

        await using var scorer = await OpenScorerAsync(problems, cancellationToken).ConfigureAwait(false);
        if (scorer is null)
        {
            return await RefuseAsync(problems).ConfigureAwait(false);
        }

        IRowSource? source;
        try
        {
            source = inputFormat switch
            {
                FileFormat.Csv => CsvRowSource.Open(settings.Input),
                FileFormat.Jsonl => JsonlRowSource.Open(settings.Input, problems),
                _ => await ParquetRowSource.OpenAsync(settings.Input, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ParquetException or InvalidDataException or NotSupportedException)
        {
            problems.Add($"--input: cannot read {settings.Input} as {FileFormats.Extension(inputFormat!.Value)} ({ex.Message})");
            source = null;
        }

        if (source is null)
        {
            return await RefuseAsync(problems).ConfigureAwait(false);
        }

        await using (source.ConfigureAwait(false))
        {
            var mapping = ColumnMapping.Resolve(scorer.Model, source.Columns, settings.Columns, settings.Keep, problems);
            if (mapping is null)
            {
                return await RefuseAsync(problems).ConfigureAwait(false);
            }

            if (source is ParquetRowSource parquet && parquet.CheckRowGroups(mapping, ParquetFiles.MaxRowGroupBytes) is { } tooLarge)
            {
                return await RefuseAsync([tooLarge]).ConfigureAwait(false);
            }

            return await ScoreAsync(scorer, source, mapping, outputFormat!.Value, started, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rows per chunk: a whole number of batches, about <see cref="ChunkValues"/> input values, or output
    /// values where the outputs are the wider side. A chunk's outputs are one row group of a Parquet output,
    /// so this sizes the row groups usher batch writes in values (at most 8 MiB of them), not in rows.
    /// </summary>
    public static int AutoChunkRows(BatchModel model)
    {
        var width = Math.Max(1, Math.Max(model.Inputs.Sum(i => i.Width), model.Outputs.Sum(o => o.Width)));
        var batches = Math.Clamp(ChunkValues / width / model.MaxBatchSize, 1, Math.Max(1, 65_536 / model.MaxBatchSize));
        return batches * model.MaxBatchSize;
    }

    private async Task<int> ScoreAsync(IBatchScorer scorer, IRowSource source, ColumnMapping mapping, FileFormat outputFormat, long started, CancellationToken cancellationToken)
    {
        var (start, end) = Range(source);
        var chunkRows = settings.ChunkRows ?? AutoChunkRows(scorer.Model);
        var layout = new OutputLayout(mapping.KeptColumns, scorer.Model.Outputs);
        IOutputFormat format = outputFormat switch
        {
            FileFormat.Csv => new CsvOutputFormat(layout),
            FileFormat.Jsonl => new JsonlOutputFormat(layout),
            _ => new ParquetOutputFormat(layout, settings.Compression),
        };

        var input = new FileInfo(settings.Input);
        var job = string.Create(CultureInfo.InvariantCulture, $"model {scorer.Model.Name} version {scorer.Model.Version}{(settings.PassThrough ? " (pass-through)" : string.Empty)}; "
            + $"inputs {string.Join(", ", mapping.Inputs.Select(b => b.Tensor.Name + " from " + b.Describe(mapping.Columns)))}; keep {string.Join(",", settings.Keep)}; "
            + $"output {FileFormats.Extension(outputFormat)}{(format is ParquetOutputFormat parquet ? " " + parquet.Compression.ToString().ToLowerInvariant() : string.Empty)}; rows {start}-{end} (shard {settings.Shard}); {chunkRows} rows per chunk");
        var identity = new BatchManifest(input.FullName, input.Length, input.LastWriteTimeUtc, job);
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        using var store = ChunkStore.Open(output, FileFormats.Extension(outputFormat), format.Start, identity, settings.Resume, out var refusal);
        if (store is null)
        {
            return await RefuseAsync([refusal!]).ConfigureAwait(false);
        }

        var firstChunk = store.Chunks.Count;
        var done = store.Chunks.Sum(c => (long)c.Rows);
        var progress = new BatchProgress(error, time, end - start, done);
        progress.AddEarlierErrors(store.Chunks.Sum(c => (long)c.Errors));
        if (settings.Resume && firstChunk > 0)
        {
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"usher batch: resuming after {firstChunk} committed chunks ({done:N0} rows) in {store.Directory}")).ConfigureAwait(false);
        }

        string? firstError = null;
        var stopped = false;
        var pipeline = new BatchPipeline(source, mapping, scorer, format, time);
        try
        {
            await progress.RunAsync(
                async () =>
                {
                    await pipeline.RunAsync(start + (firstChunk * (long)chunkRows), end, chunkRows, firstChunk, chunk =>
                    {
                        using (chunk.Output)
                        {
                            var part = chunk.Output.Span;
                            var layout = format.Split(part);
                            store.Commit(chunk.Index, chunk.FirstRow, chunk.Rows, chunk.Errors, part[layout.Rows], part[layout.Trailer], chunk.ErrorLines);
                        }

                        progress.Advance(chunk.Rows, chunk.Errors);
                        firstError ??= chunk.FirstError;
                        stopped = progress.Errors > settings.MaxErrorFraction * progress.Rows;
                        return !stopped;
                    }, cancellationToken).ConfigureAwait(false);
                    return 0;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ParquetException or InvalidDataException or NotSupportedException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"usher batch: stopped after {progress.Rows:N0} rows: {ex.Message}. The committed chunks are kept in {store.Directory}; run again with --resume to continue.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        var errorsPath = settings.ErrorsPath;
        try
        {
            await WriteErrorsAsync(store, errorsPath, progress.Errors, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return await CannotWriteAsync(errorsPath, ex, store).ConfigureAwait(false);
        }

        var summary = new BatchSummary(progress.Rows, progress.Errors, progress.Rows - done, time.GetElapsedTime(started), BatchSummary.PeakMemory());
        if (stopped)
        {
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"usher batch: stopped: {progress.Errors:N0} of {progress.Rows:N0} rows failed ({100.0 * progress.Errors / Math.Max(1, progress.Rows):F2}%), more than --max-error-fraction {settings.MaxErrorFraction} allows. "
                + $"First: {firstError}. Every failed row is in {errorsPath}. Fix the input (or raise --max-error-fraction) and run again; --resume keeps the {store.Chunks.Count} committed chunks.")).ConfigureAwait(false);
            await error.WriteLineAsync($"usher batch: {summary}").ConfigureAwait(false);
            return ExitCodes.TooManyErrors;
        }

        try
        {
            await store.FinishAsync(format, output, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return await CannotWriteAsync(settings.Output, ex, store).ConfigureAwait(false);
        }

        store.Delete();
        summary = summary with { Elapsed = time.GetElapsedTime(started), PeakMemoryBytes = BatchSummary.PeakMemory() };
        await stdout.WriteLineAsync($"usher batch: {scorer.Model.Name} version {scorer.Model.Version}: {settings.Input} -> {settings.Output}{(progress.Errors > 0 ? $" (errors in {errorsPath})" : string.Empty)}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"usher batch: {summary}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// A full disk (or a refused write) while writing <paramref name="path"/> at the end: the half-written
    /// temporary (of the errors file) goes, the committed chunks stay, so <c>--resume</c> only finishes the files.
    /// </summary>
    private async Task<int> CannotWriteAsync(string path, Exception ex, ChunkStore store)
    {
        File.Delete(path + ".tmp");
        await error.WriteLineAsync($"usher batch: cannot write {path}: {ex.Message}. The {store.Chunks.Count} committed chunks are kept in {store.Directory}; free space and run again with --resume to finish.").ConfigureAwait(false);
        return ExitCodes.Failure;
    }

    private (long Start, long End) Range(IRowSource source)
    {
        if (source.ShardBoundaries is { } boundaries)
        {
            var (first, last) = settings.Shard.Range(boundaries.Count - 1);
            return (boundaries[(int)first], boundaries[(int)last]);
        }

        return settings.Shard.Range(source.RowCount);
    }

    private async Task WriteErrorsAsync(ChunkStore store, string path, long errors, CancellationToken cancellationToken)
    {
        if (errors == 0 && settings.Errors is null)
        {
            return;
        }

        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await ConcatenatedParts.WriteAsync(ErrorLines.Header, [store.ErrorsPath], stream, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private async Task<IBatchScorer?> OpenScorerAsync(List<string> problems, CancellationToken cancellationToken)
    {
        if (settings.Server is { } server)
        {
            return await GrpcScorer.OpenAsync(server, settings.Model, settings.Version, problems, cancellationToken).ConfigureAwait(false);
        }

        var scorer = await InProcessScorer.OpenAsync(settings.Repository, settings.Model, settings.Version, problems, cancellationToken).ConfigureAwait(false);
        if (scorer is null || !settings.PassThrough)
        {
            return scorer;
        }

        var model = scorer.Model;
        await scorer.DisposeAsync().ConfigureAwait(false);
        return new PassThroughScorer(model);
    }

    private async Task<int> RefuseAsync(IReadOnlyList<string> problems)
    {
        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"usher batch: {problem}").ConfigureAwait(false);
        }

        return ExitCodes.BadSettings;
    }
}
