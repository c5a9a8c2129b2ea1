using Microsoft.Extensions.Logging;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Transports;

namespace Usher.Streaming.Hosting;

/// <summary>Opens a spec's source and sinks, runs its pipeline until stopped (then drains), and closes them.</summary>
internal static class StreamRunner
{
    /// <summary>
    /// Runs <paramref name="spec"/>; returns when <paramref name="stop"/> is signalled and the in-flight
    /// messages are done, or when the source ends. Throws <see cref="StreamTransportException"/> when a
    /// broker cannot be reached at start.
    /// </summary>
    public static async Task RunAsync(StreamSpec spec, IStreamScorer scorer, StreamMetrics metrics, TimeProvider time, ILogger logger, CancellationToken stop, Stream? stdin = null, Stream? stdout = null)
    {
        await using var ends = await StreamEnds.OpenAsync(spec, time, stdin, stdout).ConfigureAwait(false);
        await RunAsync(spec, ends, scorer, metrics, time, logger, stop).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="spec"/> on ends already open (the caller closes them).</summary>
    public static Task RunAsync(StreamSpec spec, StreamEnds ends, IStreamScorer scorer, StreamMetrics metrics, TimeProvider time, ILogger logger, CancellationToken stop)
        => new StreamPipeline(spec, ends.Source, ends.Sink, ends.DeadLetter, scorer, metrics, time, logger).RunAsync(stop);
}
