namespace Usher.Streaming.Transports;

/// <summary>The transports a stream reads from and writes to.</summary>
internal enum TransportKind
{
    /// <summary><c>-</c>: JSON lines on stdin (source) or stdout (sink).</summary>
    Stdio,

    /// <summary><c>redis://HOST:PORT/STREAM</c>: Redis Streams with consumer groups.</summary>
    Redis,

    /// <summary><c>mqtt://HOST:PORT/TOPIC</c>: MQTT 5, QoS 1, shared subscriptions.</summary>
    Mqtt,

    /// <summary><c>kafka://HOST:PORT/TOPIC</c>: Kafka consumer groups, an idempotent producer.</summary>
    Kafka,
}
