using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary>
/// <c>usher batch</c> as a real process on a full disk. The file it writes at the end (the errors file's
/// temporary, <c>PATH.tmp</c>; the output is the state folder's file, renamed into place) is a symbolic link to <c>/dev/full</c>, where the kernel answers
/// every write with ENOSPC ("No space left on device"): the error a full disk gives, without root or a
/// mount. (A tmpfs of a few KiB would be the literal full disk, but mounting one needs root.)
/// </summary>
public sealed class BatchFullDiskProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task DiskFullWhileWritingTheErrors_ExitsOneSayingSo_KeepsTheChunks_AndResumeWritesTheSameBytesAsAnUninterruptedRun()
    {
        var repository = BatchFiles.Repository(_temp);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), BatchFiles.Features(2_000), (r, i) => r % 500 == 3 && i == 5 ? "oops" : null);
        string[] Args(string output) => ["batch", "fraud", "-m", repository, "-i", _temp.Combine("in.csv"), "-o", output, "--keep", "id", "--chunk-rows", "256", "--errors", output + ".bad.csv"];

        var whole = _temp.Combine("whole.csv");
        await using (var uninterrupted = await UsherProcess.RunAsync(_temp.Path, Args(whole), Timeout))
        {
            Assert.True(await uninterrupted.WaitForExitAsync(Timeout) == 0, uninterrupted.Transcript);
        }

        var full = _temp.Combine("full.csv");
        var target = full + ".bad.csv";
        File.CreateSymbolicLink(target + ".tmp", "/dev/full");
        await using (var failing = await UsherProcess.RunAsync(_temp.Path, Args(full), Timeout))
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
        await using var resumed = await UsherProcess.RunAsync(_temp.Path, [.. Args(full), "--resume"], Timeout);
        Assert.True(await resumed.WaitForExitAsync(Timeout) == 0, resumed.Transcript);
        Assert.Matches(@"resuming after \d+ committed chunks", resumed.StandardError);
        Assert.Equal(await File.ReadAllBytesAsync(whole), await File.ReadAllBytesAsync(full));
        Assert.Equal(await File.ReadAllBytesAsync(whole + ".bad.csv"), await File.ReadAllBytesAsync(full + ".bad.csv"));
        Assert.False(Directory.Exists(full + ".usher-batch"), "the state folder outlived the finished run");
    }
}
