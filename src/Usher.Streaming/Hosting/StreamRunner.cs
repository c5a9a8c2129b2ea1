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
        await using var source = await StreamTransports.OpenSourceAsync(spec, time, stdin).ConfigureAwait(false);
        await using var sink = await StreamTransports.OpenSinkAsync(spec.Sink, spec, "sink", stdout).ConfigureAwait(false);
        IStreamSink? deadLetter = null;
        try
        {
            if (spec.DeadLetter is { } uri)
            {
                deadLetter = await StreamTransports.OpenSinkAsync(uri, spec, "dead_letter", stdout).ConfigureAwait(false);
            }

            var pipeline = new StreamPipeline(spec, source, sink, deadLetter, scorer, metrics, time, logger);
            await pipeline.RunAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            if (deadLetter is not null)
            {
                await deadLetter.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
