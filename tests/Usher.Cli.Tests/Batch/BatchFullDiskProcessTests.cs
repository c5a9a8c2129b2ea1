using System.Diagnostics;
using System.Text.RegularExpressions;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary>
/// <c>usher batch</c> as a real process on a full disk. At the end: the file it writes last (the errors
/// file's temporary, <c>PATH.tmp</c>) is a symbolic link to <c>/dev/full</c>, where the kernel answers every
/// write with ENOSPC ("No space left on device"), without root or a mount. While it appends the output
/// (<c>OUTPUT.usher-batch/output.EXT</c>, chunk by chunk): a literal full disk, a tmpfs of half the
/// output's size mounted in a user and mount namespace of the run's own (<c>unshare -Urm</c>, no root
/// needed where the kernel allows unprivileged namespaces; the mount goes with the namespace), then
/// remounted larger for the resumed run.
/// </summary>
public sealed class BatchFullDiskProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task DiskFullWhileWritingTheErrors_ExitsOneSayingSo_KeepsTheChunks_AndResumeWritesTheSameBytesAsAnUninterruptedRun()
    {
        var (whole, arguments) = await UninterruptedRunAsync(2_000);

        var full = _temp.Combine("full.csv");
        var target = full + ".bad.csv";
        File.CreateSymbolicLink(target + ".tmp", "/dev/full");
        await using (var failing = await UsherProcess.RunAsync(_temp.Path, arguments(full), Timeout))
        {
            Assert.True(await failing.WaitForExitAsync(Timeout) == 1, failing.Transcript);
            Assert.Contains($"usher batch: cannot write {target}: No space left on device", failing.StandardError, StringComparison.Ordinal);
            Assert.Contains("run again with --resume", failing.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", failing.StandardError, StringComparison.Ordinal); // a message, not a stack trace
        }

        Assert.False(File.Exists(full), "a failed run left an output file");
        Assert.False(File.Exists(target + ".tmp"), "the failed run left its temporary behind");
        Assert.True(Directory.Exists(full + ".usher-batch"), "the committed chunks were not kept");

        // Space again: --resume finishes from the kept chunks, into the bytes of a run that never failed.
        await using var resumed = await UsherProcess.RunAsync(_temp.Path, [.. arguments(full), "--resume"], Timeout);
        Assert.True(await resumed.WaitForExitAsync(Timeout) == 0, resumed.Transcript);
        Assert.Matches(@"resuming after \d+ committed chunks", resumed.StandardError);
        Assert.Equal(await File.ReadAllBytesAsync(whole), await File.ReadAllBytesAsync(full));
        Assert.Equal(await File.ReadAllBytesAsync(whole + ".bad.csv"), await File.ReadAllBytesAsync(full + ".bad.csv"));
        Assert.False(Directory.Exists(full + ".usher-batch"), "the state folder outlived the finished run");
    }

    [SkippableFact]
    public async Task DiskFullWhileAppendingTheOutput_ExitsOneSayingSo_KeepsTheChunks_AndResumeWithSpaceWritesTheSameBytesAsAnUninterruptedRun()
    {
        var disk = _temp.Combine("disk");
        var results = _temp.Combine("results");
        Directory.CreateDirectory(disk);
        Directory.CreateDirectory(results);
        var probe = await InNamespaceAsync(["sh", "-c", "mount -t tmpfs -o size=64k usher-probe \"$1\"", "sh", disk]);
        Skip.IfNot(probe.ExitCode == 0, $"no mount namespace for a small tmpfs here (unshare -Urm: {probe.Error.Trim()})");

        var (whole, arguments) = await UninterruptedRunAsync(4_000);

        // Half the output's size, in whole pages: the disk fills part-way through the chunks, after some are committed.
        var wholeBytes = new FileInfo(whole).Length;
        Assert.True(wholeBytes > 8 * 4096, $"the output ({wholeBytes} bytes) is too small to fill a tmpfs part-way");
        var small = wholeBytes / 2 / 4096 * 4096;
        var full = Path.Combine(disk, "full.csv");
        const string Script = """
            disk=$1 results=$2 small=$3; shift 3
            mount -t tmpfs -o size="$small" usher-full "$disk" || exit 90
            "$@" >"$results/fail.out" 2>"$results/fail.err"; echo $? >"$results/fail.rc"
            ls -A "$disk" >"$results/fail.ls"
            mount -o remount,size=64m usher-full "$disk" || exit 91
            "$@" --resume >"$results/resume.out" 2>"$results/resume.err"; echo $? >"$results/resume.rc"
            cp "$disk/full.csv" "$disk/full.csv.bad.csv" "$results/"
            """;
        var run = await InNamespaceAsync(["sh", "-c", Script, "sh", disk, results, small.ToString(System.Globalization.CultureInfo.InvariantCulture), UsherProcess.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "usher.dll"), .. arguments(full)]);
        string Read(string name) => File.Exists(Path.Combine(results, name)) ? File.ReadAllText(Path.Combine(results, name)) : $"({name} missing)";
        var transcript = $"script exited {run.ExitCode}: {run.Error}\n--- failing run ---\n{Read("fail.err")}\n--- resumed run ---\n{Read("resume.err")}";
        Assert.True(run.ExitCode == 0, transcript);

        // The full disk: exit 1, a message (not a stack trace) that names the cause and the way on, after some chunks.
        Assert.True(Read("fail.rc").Trim() == "1", transcript);
        var failure = Read("fail.err");
        Assert.Contains("No space left on device", failure, StringComparison.Ordinal);
        Assert.Contains("output.csv", failure, StringComparison.Ordinal); // the state folder's output file, being appended
        Assert.Contains("run again with --resume to continue", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", failure, StringComparison.Ordinal);
        var stoppedAfter = long.Parse(Regex.Match(failure, @"stopped after ([0-9,]+) rows").Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stoppedAfter, 256, 4_000 - 256);
        Assert.Equal(0, stoppedAfter % 256); // whole chunks only
        Assert.Equal(["full.csv.usher-batch"], Read("fail.ls").Split('\n', StringSplitOptions.RemoveEmptyEntries)); // no output file, the chunks kept

        // Space again: --resume finishes from the kept chunks, into the bytes of a run that never failed.
        Assert.True(Read("resume.rc").Trim() == "0", transcript);
        Assert.Matches(@"resuming after \d+ committed chunks", Read("resume.err"));
        Assert.Equal(await File.ReadAllBytesAsync(whole), await File.ReadAllBytesAsync(Path.Combine(results, "full.csv")));
        Assert.Equal(await File.ReadAllBytesAsync(whole + ".bad.csv"), await File.ReadAllBytesAsync(Path.Combine(results, "full.csv.bad.csv")));
    }

    /// <summary>
    /// Writes an input of <paramref name="rows"/> rows (a bad cell every 500), runs it to the end into
    /// <c>whole.csv</c>; that file, and the arguments that run the same job into another output.
    /// </summary>
    private async Task<(string Whole, Func<string, string[]> Args)> UninterruptedRunAsync(int rows)
    {
        var repository = BatchFiles.Repository(_temp);
        var input = _temp.Combine("in.csv");
        BatchFiles.WriteCsv(input, BatchFiles.Features(rows), (r, i) => r % 500 == 3 && i == 5 ? "oops" : null);
        string[] Args(string output) => ["batch", "fraud", "-m", repository, "-i", input, "-o", output, "--keep", "id", "--chunk-rows", "256", "--errors", output + ".bad.csv"];
        var whole = _temp.Combine("whole.csv");
        await using var uninterrupted = await UsherProcess.RunAsync(_temp.Path, Args(whole), Timeout);
        Assert.True(await uninterrupted.WaitForExitAsync(Timeout) == 0, uninterrupted.Transcript);
        return (whole, Args);
    }

    /// <summary>Runs <paramref name="command"/> in a new user and mount namespace (<c>unshare -Urm</c>); its exit code and stderr.</summary>
    private static async Task<(int ExitCode, string Error)> InNamespaceAsync(string[] command)
    {
        var start = new ProcessStartInfo("unshare", ["-Urm", .. command]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("USHER_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message); // no unshare at all
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout * 2);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"unshare {string.Join(' ', command.Take(2))} ran past {Timeout * 2}");
            }

            await stdout;
            return (process.ExitCode, await stderr);
        }
    }
}
