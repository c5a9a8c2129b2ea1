namespace Usher.Streaming.Transports;

/// <summary>A source or sink that cannot be used at all (no broker there, a bad address): stops the stream with its message.</summary>
internal sealed class StreamTransportException(string message, Exception? inner = null) : Exception(message, inner);
