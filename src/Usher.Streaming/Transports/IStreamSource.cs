using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports;

/// <summary>
/// Where messages come from. <see cref="RunAsync"/> reads into the inbox (reserving room first, so
/// it stops reading at the in-flight bound) until asked to stop or the source ends;
/// <see cref="AcknowledgeAsync"/> is called only after the messages' answers were written.
/// </summary>
internal interface IStreamSource : IAsyncDisposable
{
    /// <summary>Reads until <paramref name="stopReading"/> or the end of the source; throws when the source cannot be read at all.</summary>
    Task RunAsync(MessageInbox inbox, CancellationToken stopReading);

    /// <summary>Acknowledges messages whose answers (or dead letters) are written.</summary>
    ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken);

    /// <summary>Messages waiting for this group (Redis: undelivered + pending; Kafka: offsets behind), when known.</summary>
    long? Lag { get; }
}
