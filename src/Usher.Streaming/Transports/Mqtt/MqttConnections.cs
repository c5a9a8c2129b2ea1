using MQTTnet;
using MQTTnet.Formatter;

namespace Usher.Streaming.Transports.Mqtt;

/// <summary>MQTT 5 clients for an address, on <see cref="MqttSocketStreams"/>; connecting fails fast.</summary>
internal static class MqttConnections
{
    public static MqttClientOptionsBuilder Options(StreamAddress address, string clientId)
        => new MqttClientOptionsBuilder()
            .WithTcpServer(address.Host, address.Port)
            .WithStreamProvider(MqttSocketStreams.Instance)
            .WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10));

    public static async Task ConnectAsync(IMqttClient client, MqttClientOptions options, StreamAddress address, CancellationToken cancellationToken)
    {
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException exception)
        {
            throw new StreamTransportException($"{address}: cannot connect to the MQTT broker at {address.Host}:{address.Port} ({exception.Message}); is it running there?", exception);
        }
        catch (InvalidOperationException exception) when (!client.IsConnected)
        {
            // MQTTnet still closing the connection the broker dropped (a consumer held past its
            // keep-alive): not connected yet, try again later. This used to end the consumer.
            throw new StreamTransportException($"{address}: the connection to the MQTT broker is still closing ({exception.Message})", exception);
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new StreamTransportException($"{address}: the MQTT broker refused the connection: {result.ResultCode} {result.ReasonString}");
        }
    }
}
