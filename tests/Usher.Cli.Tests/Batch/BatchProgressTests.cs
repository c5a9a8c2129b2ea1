using Microsoft.Extensions.Time.Testing;
using Usher.Cli.Batch;

namespace Usher.Cli.Tests.Batch;

public sealed class BatchProgressTests
{
    [Fact]
    public void Line_RateAndEtaFromRowsDoneThisRun()
    {
        var progress = new BatchProgress(TextWriter.Null, new FakeTimeProvider(), total: 1_000_000, alreadyDone: 100_000);
        progress.Advance(200_000, 7);

        // 200,000 rows in 20 s = 10,000 rows/s; 700,000 left = 70 s.
        Assert.Equal("usher batch: 300,000/1,000,000 rows (30.0%), 7 errors, 10,000 rows/s, ETA 1m10s", progress.Line(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task NotATerminal_WritesALineEvery10Seconds()
    {
        var time = new FakeTimeProvider();
        var error = new StringWriter { NewLine = "\n" };
        var progress = new BatchProgress(error, time, total: 100, alreadyDone: 0);
        var done = new TaskCompletionSource();

        var run = progress.RunAsync(async () => { await done.Task; return 0; }, CancellationToken.None);
        progress.Advance(10, 0);
        time.Advance(TimeSpan.FromSeconds(9));
        var before = error.ToString();
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Advance(30, 1);
        time.Advance(TimeSpan.FromSeconds(10));
        done.SetResult();
        await run;

        Assert.Equal(string.Empty, before);
        Assert.Equal(
            ["usher batch: 10/100 rows (10.0%), 0 errors, 1 rows/s, ETA 1m30s", "usher batch: 40/100 rows (40.0%), 1 errors, 2 rows/s, ETA 30.0s"],
            error.ToString().TrimEnd('\n').Split('\n'));
    }
}
