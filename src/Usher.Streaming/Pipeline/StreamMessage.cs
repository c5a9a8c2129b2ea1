namespace Usher.Streaming.Pipeline;

/// <summary>
/// One message read from a source: its id on that source (a Redis entry id, Kafka
/// topic/partition@offset, an MQTT request's <c>id</c>), the OIP JSON request it carries, when it
/// was produced, and how often the source has delivered it (a redelivery after a crash counts).
/// </summary>
internal sealed class StreamMessage
{
    /// <summary>The id answers carry as <c>source_id</c>, so a consumer of the sink can drop duplicates.</summary>
    public required string Id { get; init; }

    /// <summary>The request's UTF-8 JSON; null when the message has no request (a Redis entry without the field).</summary>
    public required ReadOnlyMemory<byte>? Request { get; init; }

    /// <summary>When the message was produced (end-to-end latency starts here), or received when the source does not say.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Deliveries so far, this one included (1 on a first read).</summary>
    public int Deliveries { get; init; } = 1;

    /// <summary>What the source needs to acknowledge the message (its own type).</summary>
    public object? Receipt { get; init; }
}
