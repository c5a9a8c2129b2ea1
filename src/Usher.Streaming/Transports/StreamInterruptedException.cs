namespace Usher.Streaming.Transports;

/// <summary>
/// A source lost its broker for now (the connection dropped, the broker is restarting): the pipeline
/// logs it, counts it, waits with backoff and runs the source again, which reconnects and takes back
/// what it had read and not acknowledged. Unlike <see cref="StreamTransportException"/>, not for good.
/// </summary>
internal sealed class StreamInterruptedException(string message, Exception? inner = null) : Exception(message, inner);
