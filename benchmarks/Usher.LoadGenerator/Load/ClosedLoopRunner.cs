using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace Usher.LoadGenerator.Load;

/// <summary>
/// Closed-loop load: <see cref="LoadSettings.Concurrency"/> workers, each sending its next request as
/// soon as the previous answer has been read, all through one shared <see cref="HttpClient"/>.
/// </summary>
internal sealed class ClosedLoopRunner(LoadSettings settings, HttpClient client)
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
            workers[i] = Task.Run(() => WorkAsync(recorder, measureFrom, measureUntil, cancellationToken), cancellationToken);
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        return LoadResult.Summarize(settings, recorders);
    }

    private async Task WorkAsync(WorkerRecorder recorder, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        // One content per worker, reused for every request it sends: the client does not dispose a
        // request's content, and a worker has one request in flight at a time.
        var content = new ByteArrayContent(settings.Body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var sink = new byte[16 * 1024];
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= measureUntil)
            {
                return;
            }

            string? failure = null;
            double? overhead = null;
            try
            {
                // Not disposed: disposing the request would dispose the shared content.
                var request = new HttpRequestMessage(HttpMethod.Post, settings.Url) { Content = content };
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    while (await stream.ReadAsync(sink, cancellationToken).ConfigureAwait(false) > 0)
                    {
                    }
                }

                if (response.IsSuccessStatusCode)
                {
                    overhead = ServerTiming.Overhead(response.Headers);
                }
                else
                {
                    failure = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                }
            }
            catch (HttpRequestException ex)
            {
                failure = ex.HttpRequestError.ToString();
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = "timeout";
            }

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
