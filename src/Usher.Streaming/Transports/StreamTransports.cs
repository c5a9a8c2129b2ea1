using Usher.Streaming.Pipeline;
using Usher.Streaming.Transports.Redis;
using Usher.Streaming.Transports.Stdio;

namespace Usher.Streaming.Transports;

/// <summary>Opens the source and sinks a spec names, by their address's scheme; connecting fails fast.</summary>
internal static class StreamTransports
{
    public static async Task<IStreamSource> OpenSourceAsync(StreamSpec spec, TimeProvider time, Stream? stdin = null)
    {
        var address = StreamAddress.Parse(spec.Source, out var problem) ?? throw new StreamTransportException($"source: {problem}");
        return address.Kind switch
        {
            TransportKind.Stdio => new JsonLinesSource(stdin ?? Console.OpenStandardInput(), time),
            TransportKind.Redis => await RedisStreamSource.OpenAsync(address, spec, time).ConfigureAwait(false),
            TransportKind.Mqtt => await Mqtt.MqttSource.OpenAsync(address, spec, time).ConfigureAwait(false),
            TransportKind.Kafka => Kafka.KafkaSource.Open(address, spec),
            _ => throw new StreamTransportException($"source: {address.Kind} is not a source"),
        };
    }

    public static async Task<IStreamSink> OpenSinkAsync(string uri, StreamSpec spec, string setting, Stream? stdout = null)
    {
        var address = StreamAddress.Parse(uri, out var problem) ?? throw new StreamTransportException($"{setting}: {problem}");
        return address.Kind switch
        {
            TransportKind.Stdio => new JsonLinesSink(stdout ?? Console.OpenStandardOutput()),
            TransportKind.Redis => await RedisStreamSink.OpenAsync(address).ConfigureAwait(false),
            TransportKind.Mqtt => await Mqtt.MqttSink.OpenAsync(address, spec).ConfigureAwait(false),
            TransportKind.Kafka => Kafka.KafkaSink.Open(address),
            _ => throw new StreamTransportException($"{setting}: {address.Kind} is not a sink"),
        };
    }
}
