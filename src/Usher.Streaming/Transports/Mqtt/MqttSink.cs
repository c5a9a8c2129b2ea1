using System.Buffers;
using MQTTnet;
using MQTTnet.Protocol;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Mqtt;

/// <summary>Answers published at QoS 1 (each write waits for its PUBACK) as JSON objects (<see cref="AnswerJson"/>).</summary>
internal sealed class MqttSink : IStreamSink
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly StreamAddress _address;

    private MqttSink(IMqttClient client, MqttClientOptions options, StreamAddress address)
    {
        _client = client;
        _options = options;
        _address = address;
    }

    public static async Task<MqttSink> OpenAsync(StreamAddress address, StreamSpec spec)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = MqttConnections.Options(address, $"{spec.Group}-{spec.Consumer}-out-{Guid.NewGuid():N}").WithCleanStart(true).Build();
        await MqttConnections.ConnectAsync(client, options, address, CancellationToken.None).ConfigureAwait(false);
        return new MqttSink(client, options, address);
    }

    public async ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        if (!_client.IsConnected)
        {
            await MqttConnections.ConnectAsync(_client, _options, _address, cancellationToken).ConfigureAwait(false);
        }

        var publishes = new Task<MqttClientPublishResult>[answers.Count];
        for (var i = 0; i < publishes.Length; i++)
        {
            var message = new MqttApplicationMessage
            {
                Topic = _address.Name,
                Payload = new ReadOnlySequence<byte>(AnswerJson.Write(answers[i])),
                QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce,
            };
            publishes[i] = _client.PublishAsync(message, cancellationToken);
        }

        foreach (var result in await Task.WhenAll(publishes).ConfigureAwait(false))
        {
            if (!result.IsSuccess)
            {
                throw new StreamTransportException($"{_address}: the broker refused an answer: {result.ReasonCode} {result.ReasonString}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync().ConfigureAwait(false);
        }

        _client.Dispose();
    }
}
