using System.Diagnostics;
using System.Globalization;

namespace Usher.Cli.Bench;

/// <summary>
/// Runs one point with a live progress line on stderr, rewritten in place twice a second, when
/// stderr is the terminal (never into a file or a pipe, where it would be noise).
/// </summary>
internal static class BenchProgress
{
    public static async Task<BenchResult> RunAsync(LoadRunner runner, BenchSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        if (Console.IsErrorRedirected || !ReferenceEquals(error, Console.Error))
        {
            return await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        var load = settings.Rate is { } rate
            ? string.Create(CultureInfo.InvariantCulture, $"rate {rate:0.##}/s")
            : string.Create(CultureInfo.InvariantCulture, $"c={settings.Concurrency}");
        var total = (settings.Warmup + settings.Duration).TotalSeconds;
        var started = Stopwatch.GetTimestamp();
        var run = runner.RunAsync(cancellationToken);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        long previous = 0;
        var previousAt = started;
        while (await Task.WhenAny(run, timer.WaitForNextTickAsync(cancellationToken).AsTask()).ConfigureAwait(false) != run)
        {
            var now = Stopwatch.GetTimestamp();
            var completed = runner.Completed;
            var perSecond = (completed - previous) / Stopwatch.GetElapsedTime(previousAt, now).TotalSeconds;
            (previous, previousAt) = (completed, now);
            var elapsed = Stopwatch.GetElapsedTime(started, now);
            var phase = elapsed < settings.Warmup ? "warm-up" : "measuring";
            await error.WriteAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"\r{load,-12} {phase,-9} {Math.Min(elapsed.TotalSeconds, total),5:F1}/{total:F0} s  {completed,10:N0} answered  {perSecond,9:F0} req/s   ")).ConfigureAwait(false);
        }

        await error.WriteAsync("\r" + new string(' ', 72) + "\r").ConfigureAwait(false);
        return await run.ConfigureAwait(false);
    }
}
