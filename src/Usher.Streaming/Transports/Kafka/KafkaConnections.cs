using System.Globalization;
using Confluent.Kafka;

namespace Usher.Streaming.Transports.Kafka;

/// <summary>
/// Kafka clients connect lazily, so opening one proves nothing: this asks the cluster for its
/// metadata and fails fast, as Redis and MQTT do, when no broker answers at the address.
/// </summary>
internal static class KafkaConnections
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public static void Check(Handle client, StreamAddress address)
    {
        using var admin = new DependentAdminClientBuilder(client).Build();
        try
        {
            var metadata = admin.GetMetadata(ConnectTimeout);
            if (metadata.Brokers.Count == 0)
            {
                throw new StreamTransportException(Message(address, "the cluster lists no broker"));
            }
        }
        catch (KafkaException exception)
        {
            throw new StreamTransportException(Message(address, exception.Error.Reason), exception);
        }
    }

    private static string Message(StreamAddress address, string reason)
        => $"{address}: cannot connect to Kafka at {address.Host}:{address.Port.ToString(CultureInfo.InvariantCulture)} ({reason}); is a broker running there?";
}
