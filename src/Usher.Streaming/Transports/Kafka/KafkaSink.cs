using System.Globalization;
using Confluent.Kafka;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Kafka;

/// <summary>Answers produced by an idempotent producer (no duplicates from its own retries), keyed by source id, as JSON objects.</summary>
internal sealed class KafkaSink : IStreamSink
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly string _topic;

    private KafkaSink(IProducer<string, byte[]> producer, string topic)
    {
        _producer = producer;
        _topic = topic;
    }

    public static KafkaSink Open(StreamAddress address)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = $"{address.Host}:{address.Port.ToString(CultureInfo.InvariantCulture)}",
            EnableIdempotence = true,
            LingerMs = 1,
        };
        foreach (var (key, value) in address.Query)
        {
            config.Set(key, value);
        }

        var producer = new ProducerBuilder<string, byte[]>(config).Build();
        try
        {
            KafkaConnections.Check(producer.Handle, address);
        }
        catch
        {
            producer.Dispose();
            throw;
        }

        return new KafkaSink(producer, address.Name);
    }

    public async ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        var produced = new Task[answers.Count];
        for (var i = 0; i < produced.Length; i++)
        {
            produced[i] = _producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = answers[i].SourceId, Value = AnswerJson.Write(answers[i]) }, cancellationToken);
        }

        await Task.WhenAll(produced).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
        return ValueTask.CompletedTask;
    }
}
