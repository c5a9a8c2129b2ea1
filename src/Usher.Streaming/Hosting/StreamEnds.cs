using Usher.Streaming.Pipeline;
using Usher.Streaming.Transports;

namespace Usher.Streaming.Hosting;

/// <summary>
/// A spec's source, sink and dead-letter destination, connected. Opening them is the check that the
/// brokers are there, so a host opens them before it reports started (a broker that is down stops
/// start-up with its message) and runs the pipeline on them later.
/// </summary>
internal sealed class StreamEnds : IAsyncDisposable
{
    private StreamEnds(IStreamSource source, IStreamSink sink, IStreamSink? deadLetter)
    {
        Source = source;
        Sink = sink;
        DeadLetter = deadLetter;
    }

    public IStreamSource Source { get; }

    public IStreamSink Sink { get; }

    /// <summary>Null when failures go to the sink.</summary>
    public IStreamSink? DeadLetter { get; }

    /// <summary>Connects every end of <paramref name="spec"/>; throws <see cref="StreamTransportException"/> when a broker cannot be reached.</summary>
    public static async Task<StreamEnds> OpenAsync(StreamSpec spec, TimeProvider time, Stream? stdin = null, Stream? stdout = null)
    {
        var source = await StreamTransports.OpenSourceAsync(spec, time, stdin).ConfigureAwait(false);
        IStreamSink? sink = null;
        try
        {
            sink = await StreamTransports.OpenSinkAsync(spec.Sink, spec, "sink", stdout).ConfigureAwait(false);
            var deadLetter = spec.DeadLetter is { } uri ? await StreamTransports.OpenSinkAsync(uri, spec, "dead_letter", stdout).ConfigureAwait(false) : null;
            return new StreamEnds(source, sink, deadLetter);
        }
        catch
        {
            if (sink is not null)
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }

            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (DeadLetter is not null)
        {
            await DeadLetter.DisposeAsync().ConfigureAwait(false);
        }

        await Sink.DisposeAsync().ConfigureAwait(false);
        await Source.DisposeAsync().ConfigureAwait(false);
    }
}
