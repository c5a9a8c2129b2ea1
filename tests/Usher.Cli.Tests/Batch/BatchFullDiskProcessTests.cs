using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary>
/// <c>usher batch</c> as a real process whose writes start failing: the child runs under <c>ulimit -f</c>
/// (SIGXFSZ ignored), so the kernel refuses a write that would grow a file past the limit (EFBIG), the way
/// writes fail on a full disk (ENOSPC) — both reach the job as the same <see cref="IOException"/>. A tmpfs
/// of a few KiB would be the literal full disk, but mounting one needs root.
/// </summary>
public sealed class BatchFullDiskProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// 4 KiB: the first chunk's part cannot be written (mid-run). 64 KiB: every chunk is committed, and
    /// joining them into the output fails (the last step).
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(64)]
    public async Task DiskFullWhileWritingOutput_ExitsOneSayingSo_LeavesNoOutput_AndResumeWritesTheSameBytesAsAnUninterruptedRun(int limitKiB)
    {
        var repository = BatchFiles.Repository(_temp);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), BatchFiles.Features(4_000));
        string[] Args(string output) => ["batch", "fraud", "-m", repository, "-i", _temp.Combine("in.csv"), "-o", output, "--keep", "id", "--chunk-rows", "256"];

        var whole = _temp.Combine("whole.csv");
        await using (var uninterrupted = await UsherProcess.RunAsync(_temp.Path, Args(whole), Timeout))
        {
            Assert.True(await uninterrupted.WaitForExitAsync(Timeout) == 0, uninterrupted.Transcript);
        }

        Assert.True(new FileInfo(whole).Length > 64 * 1024, "the output must be larger than the largest limit");

        var full = _temp.Combine("full.csv");
        await using (var failing = UsherProcess.Start(_temp.Path, Args(full), fileSizeLimitKiB: limitKiB))
        {
            Assert.Equal(1, await failing.WaitForExitAsync(Timeout));
            Assert.Contains("File too large", failing.StandardError, StringComparison.Ordinal);
            Assert.Contains("--resume", failing.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", failing.StandardError, StringComparison.Ordinal); // a message, not a stack trace
        }

        Assert.False(File.Exists(full), "a failed run left an output file");
        Assert.False(File.Exists(full + ".tmp"), "a failed run left its temporary output behind");
        Assert.True(Directory.Exists(full + ".usher-batch"), "the committed chunks were not kept");

        // Space again: --resume finishes, with the bytes of a run that never failed.
        await using var resumed = await UsherProcess.RunAsync(_temp.Path, [.. Args(full), "--resume"], Timeout);
        Assert.True(await resumed.WaitForExitAsync(Timeout) == 0, resumed.Transcript);
        Assert.Equal(await File.ReadAllBytesAsync(whole), await File.ReadAllBytesAsync(full));
        Assert.False(Directory.Exists(full + ".usher-batch"), "the state folder outlived the finished run");
    }
}
