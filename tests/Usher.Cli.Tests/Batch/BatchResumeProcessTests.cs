using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary>
/// <c>usher batch</c> as a real process, killed with SIGKILL in the middle of a run, then resumed:
/// no row lost, none duplicated, the output and errors files byte-identical to an uninterrupted run.
/// </summary>
public sealed class BatchResumeProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("csv", "csv")]
    [InlineData("csv", "parquet")]
    [InlineData("parquet", "parquet")]
    public async Task KilledTwiceMidRun_Resume_WritesTheSameBytesAsAnUninterruptedRun(string input, string extension)
    {
        // From Parquet, the features list column is read by ParquetListColumnReader (every row 30 values, none
        // missing) and copied into the chunks a block at a time; a NaN sends its block row by row.
        var repository = BatchFiles.Repository(_temp);
        // Enough chunks (782) that a run is still going when its manifest names a few; the kill itself
        // lands on a frozen process, so it cannot race the run's end whatever its speed.
        var rows = BatchFiles.Features(200_000);
        var chunks = (rows.Length + 255) / 256;
        var bad = Enumerable.Range(0, rows.Length).Count(r => r % 997 == 5);
        var inputPath = _temp.Combine("in." + input);
        string[] keep = ["--keep", "id"];
        if (input == "csv")
        {
            BatchFiles.WriteCsv(inputPath, rows, (r, i) => r % 997 == 5 && i == 7 ? "oops" : null);
        }
        else
        {
            foreach (var row in rows.Where((_, r) => r % 997 == 5))
            {
                row[7] = float.NaN;
            }

            await BatchFiles.WriteParquetAsync(inputPath, rows, groupRows: 4096);
            keep = [];
        }

        string[] Args(string output) => ["batch", "fraud", "-m", repository, "-i", inputPath, "-o", output, .. keep, "--chunk-rows", "256", "--errors", output + ".bad.csv"];

        var whole = _temp.Combine("whole." + extension);
        await using (var uninterrupted = await UsherProcess.RunAsync(_temp.Path, Args(whole), Timeout))
        {
            Assert.True(await uninterrupted.WaitForExitAsync(Timeout) == 0, uninterrupted.Transcript);
        }

        var resumed = _temp.Combine("resumed." + extension);
        var state = resumed + ".usher-batch";
        var seen = 0;
        for (var kill = 0; kill < 2; kill++)
        {
            await using var run = UsherProcess.Start(_temp.Path, [.. Args(resumed), "--resume"]);
            var manifest = Path.Combine(state, "manifest.jsonl");
            seen = await WaitForChunksAsync(manifest, seen + 3, run);
            Assert.True(await ProcessFreeze.FreezeAsync(run.Id, Timeout), $"the run ended before it could be stopped\n{run.Transcript}");
            var atKill = await ReadChunksAsync(manifest, CancellationToken.None);
            Assert.True(atKill < chunks, $"the run had committed all {chunks} chunks before the kill");
            await run.KillAsync();
            Assert.Equal(137, await run.WaitForExitAsync(Timeout));
            Assert.False(File.Exists(resumed), "a killed run left an output file");
        }

        await using var last = await UsherProcess.RunAsync(_temp.Path, [.. Args(resumed), "--resume"], Timeout);

        Assert.True(await last.WaitForExitAsync(Timeout) == 0, last.Transcript);
        Assert.Matches(@"resuming after \d+ committed chunks", last.StandardError);
        Assert.Contains($"rows 200,000, errors {bad}", last.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(whole), await File.ReadAllBytesAsync(resumed));
        Assert.Equal(await File.ReadAllBytesAsync(whole + ".bad.csv"), await File.ReadAllBytesAsync(resumed + ".bad.csv"));
        Assert.False(Directory.Exists(state), "the state folder outlived the finished run");
    }

    /// <summary>Waits until the manifest names at least <paramref name="chunks"/> chunks (the process is still running).</summary>
    private static async Task<int> WaitForChunksAsync(string manifest, int chunks, UsherProcess run)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!cts.IsCancellationRequested)
        {
            var count = await ReadChunksAsync(manifest, cts.Token);
            if (count >= chunks)
            {
                return count;
            }

            Assert.False(run.StandardOutput.Contains("usher batch: rows", StringComparison.Ordinal), $"the run finished before it could be killed\n{run.Transcript}");
            await Task.Delay(10, cts.Token);
        }

        Assert.Fail($"the manifest never named {chunks} chunks\n{run.Transcript}");
        return 0;
    }

    /// <summary>How many chunks the manifest names (0 before its first write).</summary>
    private static async Task<int> ReadChunksAsync(string manifest, CancellationToken cancellationToken)
    {
        // Read while the manifest was being replaced at the start of a resumed run: read again.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!File.Exists(manifest))
                {
                    return 0;
                }

                // The first line is the run's identity, then one line per committed chunk; a line still being written has no newline yet.
                var bytes = await File.ReadAllBytesAsync(manifest, cancellationToken);
                return Math.Max(0, bytes.Count(b => b == (byte)'\n') - 1);
            }
            catch (IOException) when (attempt < 100)
            {
            }
        }
    }
}
