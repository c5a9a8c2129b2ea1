using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Streaming.Telemetry;

/// <summary>The streams' log messages (event ids in <see cref="LogEvents"/>).</summary>
internal static partial class StreamLog
{
    [LoggerMessage(EventId = LogEvents.StreamStarted, Level = LogLevel.Information, Message = "Stream {Endpoint}: reading {Source} as {Consumer} in group {Group}, answering to {Sink}")]
    public static partial void Started(ILogger logger, string endpoint, string source, string consumer, string group, string sink);

    [LoggerMessage(EventId = LogEvents.StreamDrained, Level = LogLevel.Information, Message = "Stream {Endpoint}: stopped reading {Source} and drained its in-flight messages")]
    public static partial void Drained(ILogger logger, string endpoint, string source);

    [LoggerMessage(EventId = LogEvents.StreamDeadLettered, Level = LogLevel.Warning, Message = "Stream {Endpoint}: message {SourceId} dead-lettered ({Reason}): {Error}")]
    public static partial void DeadLettered(ILogger logger, string endpoint, string sourceId, string reason, string error);

    [LoggerMessage(EventId = LogEvents.StreamSinkFailed, Level = LogLevel.Warning, Message = "Stream {Endpoint}: writing {Count} answers to {Sink} failed; retrying, the messages stay unacknowledged")]
    public static partial void SinkFailed(ILogger logger, Exception exception, string endpoint, int count, string sink);

    [LoggerMessage(EventId = LogEvents.StreamSourceFailed, Level = LogLevel.Warning, Message = "Stream {Endpoint}: reading {Source} failed ({Reason}); reconnecting in {DelayMs} ms, unacknowledged messages stay pending for redelivery")]
    public static partial void SourceFailed(ILogger logger, string endpoint, string source, string reason, long delayMs);

    [LoggerMessage(EventId = LogEvents.StreamSourceRecovered, Level = LogLevel.Information, Message = "Stream {Endpoint}: reading {Source} again after {Failures} failed attempts")]
    public static partial void SourceRecovered(ILogger logger, string endpoint, string source, int failures);

    [LoggerMessage(EventId = LogEvents.StreamAcknowledgeFailed, Level = LogLevel.Warning, Message = "Stream {Endpoint}: acknowledging {Count} messages at {Source} failed; retrying, the messages stay in flight")]
    public static partial void AcknowledgeFailed(ILogger logger, Exception exception, string endpoint, int count, string source);

    [LoggerMessage(EventId = LogEvents.StreamMetricsListening, Level = LogLevel.Information, Message = "Serving the stream's metrics at {Address}")]
    public static partial void MetricsListening(ILogger logger, string address);
}
