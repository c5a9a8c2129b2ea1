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
/// acknowledged. A message is acknowledged (PUBACK) only after its answer is published, and only on
/// the connection that delivered it: a packet id names a message on one connection, so what came on
/// a dropped connection is not acknowledged on the next one (the broker redelivers it there, and it is
/// answered again: at least once). The message id is the request's <c>id</c> when it has one.
/// </summary>
internal sealed class MqttSource : IStreamSource
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly StreamAddress _address;
    private readonly string _filter;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource<MessageInbox> _inbox = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Held while acknowledging and while a new connection begins, so that a PUBACK checked against
    // one connection is never sent on the next.
    private readonly SemaphoreSlim _acknowledging = new(1, 1);
    private CancellationToken _stop;

    // Which connection delivered a message: counted up as each connection begins (MQTTnet's Connecting
    // event comes after the previous connection's message handlers have all returned, and before the
    // next one reads anything).
    private int _connection;

    private MqttSource(IMqttClient client, MqttClientOptions options, StreamAddress address, StreamSpec spec, TimeProvider time)
    {
        _client = client;
        _options = options;
        _address = address;
        _filter = $"$share/{spec.Group}/{address.Name}";
        _time = time;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.ConnectingAsync += OnConnectingAsync;
    }

    public long? Lag => null;

    public static async Task<MqttSource> OpenAsync(StreamAddress address, StreamSpec spec, TimeProvider time)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var clean = address.Query.TryGetValue("session", out var session) && session == "clean";
        var options = MqttConnections.Options(address, $"{spec.Group}-{spec.Consumer}")
            .WithCleanStart(clean)
            .WithSessionExpiryInterval(clean ? 0u : 3600u)
            .WithReceiveMaximum(ReceiveMaximum(spec))
            .Build();
        var source = new MqttSource(client, options, address, spec, time);
        await MqttConnections.ConnectAsync(client, options, address, CancellationToken.None).ConfigureAwait(false);
        return source;
    }

    /// <summary>
    /// The broker's window to this consumer (MQTT 5's receive maximum: PUBLISHes sent and not yet
    /// acknowledged): twice <see cref="StreamSpec.MaxInFlight"/>, so that the next requests are
    /// already here when the inbox has room. With a window equal to the bound, a message could be
    /// read only after an earlier one's PUBACK had reached the broker and the broker had sent the next
    /// PUBLISH: a round trip through the broker for every slot that freed, the consumer idle meanwhile.
    /// The messages beyond the bound wait in MQTTnet, unread (the handler waits for room in the inbox,
    /// in order), and unacknowledged: at most the bound is being answered, as before, and a consumer
    /// that stops or loses its connection leaves them to be redelivered. A handler waiting for room when
    /// the connection drops holds MQTTnet's disconnect until it returns (room frees as the batches in
    /// flight finish; their acknowledgements are skipped, not connected), and MQTTnet drops what it had
    /// queued: a connection's handlers have all returned before the next connection begins.
    /// </summary>
    internal static ushort ReceiveMaximum(StreamSpec spec) => (ushort)Math.Min(2L * spec.MaxInFlight, ushort.MaxValue);

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
        await _acknowledging.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = Volatile.Read(ref _connection);
            foreach (var message in messages)
            {
                // Not connected, or delivered on an earlier connection: the broker delivers it again.
                if (message.Receipt is MqttReceipt receipt && receipt.Connection == connection && _client.IsConnected)
                {
                    await receipt.Message.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _acknowledging.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.ApplicationMessageReceivedAsync -= OnMessageAsync;
        _client.ConnectingAsync -= OnConnectingAsync;
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync().ConfigureAwait(false);
        }

        _client.Dispose();
        _acknowledging.Dispose();
    }

    private async Task OnConnectingAsync(MqttClientConnectingEventArgs e)
    {
        await _acknowledging.WaitAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _connection);
        _acknowledging.Release();
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
        var connection = Volatile.Read(ref _connection);
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
        var id = RequestScan.ReadId(payload)
            ?? $"{e.ApplicationMessage.Topic}#{e.PacketIdentifier.ToString(CultureInfo.InvariantCulture)}@{_time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}";
        inbox.Add(new StreamMessage
        {
            Id = id,
            Request = payload,
            Timestamp = Timestamp(e.ApplicationMessage) ?? _time.GetUtcNow(),
            Deliveries = e.ApplicationMessage.Dup ? 2 : 1,
            Receipt = new MqttReceipt(e, connection),
        });
        _ = room;
    }

    /// <summary>A message's acknowledgement, and the connection it is valid on.</summary>
    private sealed record MqttReceipt(MqttApplicationMessageReceivedEventArgs Message, int Connection);

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
