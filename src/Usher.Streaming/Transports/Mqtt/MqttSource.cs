using System.Buffers;
using System.Globalization;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Mqtt;

/// <summary>
/// An MQTT topic read at QoS 1 through the shared subscription <c>$share/GROUP/TOPIC</c>, so that the
/// consumers of a group share the messages. The session is persistent (client id GROUP-CONSUMER,
/// clean start off): a consumer restarted under the same name gets back what it had not
/// acknowledged. A message is acknowledged (PUBACK) only after its answer is published. The message
/// id is the request's <c>id</c> when it has one.
/// </summary>
internal sealed class MqttSource : IStreamSource
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly StreamAddress _address;
    private readonly string _filter;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<MessageInbox> _inbox = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stop;

    private MqttSource(IMqttClient client, MqttClientOptions options, StreamAddress address, StreamSpec spec, TimeProvider time)
    {
        _client = client;
        _options = options;
        _address = address;
        _filter = $"$share/{spec.Group}/{address.Name}";
        _time = time;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
    }

    public long? Lag => null;

    public static async Task<MqttSource> OpenAsync(StreamAddress address, StreamSpec spec, TimeProvider time)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var clean = address.Query.TryGetValue("session", out var session) && session == "clean";
        var options = MqttConnections.Options(address, $"{spec.Group}-{spec.Consumer}")
            .WithCleanStart(clean)
            .WithSessionExpiryInterval(clean ? 0u : 3600u)
            .WithReceiveMaximum((ushort)Math.Min(spec.MaxInFlight, ushort.MaxValue))
            .Build();
        var source = new MqttSource(client, options, address, spec, time);
        await MqttConnections.ConnectAsync(client, options, address, CancellationToken.None).ConfigureAwait(false);
        return source;
    }

    public async Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
    {
        _stop = stopReading;
        _inbox.TrySetResult(inbox);
        await SubscribeAsync(stopReading).ConfigureAwait(false);
        while (!stopReading.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stopReading).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!_client.IsConnected)
            {
                try
                {
                    await MqttConnections.ConnectAsync(_client, _options, _address, stopReading).ConfigureAwait(false);
                    await SubscribeAsync(stopReading).ConfigureAwait(false);
                }
                catch (StreamTransportException)
                {
                    // The broker is away; try again on the next tick.
                }
            }
        }
    }

    public async ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            if (message.Receipt is MqttApplicationMessageReceivedEventArgs received && _client.IsConnected)
            {
                await received.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.ApplicationMessageReceivedAsync -= OnMessageAsync;
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync().ConfigureAwait(false);
        }

        _client.Dispose();
    }

    private Task SubscribeAsync(CancellationToken cancellationToken)
        => _client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(_filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build(),
            cancellationToken);

    /// <summary>
    /// MQTTnet hands messages over one at a time; this only copies the payload into the inbox (waiting
    /// for room, which holds the broker back) and leaves the acknowledgement for later.
    /// </summary>
    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        e.AutoAcknowledge = false;
        var inbox = await _inbox.Task.ConfigureAwait(false);
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        int room;
        try
        {
            room = await inbox.ReserveAsync(1, _stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: not acknowledged, so the broker delivers it again.
            return;
        }

        var payload = e.ApplicationMessage.Payload.ToArray();
        var id = RequestScan.Read(payload, null).Id
            ?? $"{e.ApplicationMessage.Topic}#{e.PacketIdentifier.ToString(CultureInfo.InvariantCulture)}@{_time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";
        inbox.Add(new StreamMessage
        {
            Id = id,
            Request = payload,
            Timestamp = Timestamp(e.ApplicationMessage) ?? _time.GetUtcNow(),
            Deliveries = e.ApplicationMessage.Dup ? 2 : 1,
            Receipt = e,
        });
        _ = room;
    }

    /// <summary>The producer's time, from the user property <c>timestamp_ms</c> when it sets one.</summary>
    private static DateTimeOffset? Timestamp(MqttApplicationMessage message)
    {
        foreach (var property in message.UserProperties ?? [])
        {
            if (property.Name == "timestamp_ms" && long.TryParse(property.ReadValueAsString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
        }

        return null;
    }
}
