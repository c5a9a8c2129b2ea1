using System.Diagnostics;
using System.Net;

namespace Usher.LoadGenerator.Load;

/// <summary>
/// Closed-loop load: <see cref="LoadSettings.Concurrency"/> workers, each sending its next request as
/// soon as the previous answer has been read, all through one shared client (an <see cref="HttpClient"/>
/// or a gRPC channel).
/// </summary>
internal sealed class ClosedLoopRunner(LoadSettings settings, Func<IRequestSender> createSender)
{
    /// <summary>One pooled client for every worker: HTTP/1.1 keep-alive connections, no proxy, no cookies.</summary>
    public static HttpClient CreateClient(int concurrency) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = Math.Max(1024, concurrency),
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public async Task<LoadResult> RunAsync(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + SecondsToTicks(settings.WarmupSeconds);
        var measureUntil = measureFrom + SecondsToTicks(settings.DurationSeconds);
        var recorders = new WorkerRecorder[settings.Concurrency];
        var workers = new Task[settings.Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            var recorder = recorders[i] = new WorkerRecorder();
            var sender = createSender();
            workers[i] = Task.Run(() => WorkAsync(sender, recorder, measureFrom, measureUntil, cancellationToken), cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return LoadResult.Summarize(settings, recorders);
    }

    private async Task WorkAsync(IRequestSender sender, WorkerRecorder recorder, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= measureUntil)
            {
                return;
            }

            var (failure, overhead) = await sender.SendAsync(cancellationToken).ConfigureAwait(false);
            var finished = Stopwatch.GetTimestamp();
            if (started < measureFrom || finished > measureUntil)
            {
                continue;
            }

            if (failure is null)
            {
                recorder.Success(finished - started, overhead);
            }
            else
            {
                recorder.Failure(failure);
            }
        }
    }

    private static long SecondsToTicks(double seconds) => (long)(seconds * Stopwatch.Frequency);
}
