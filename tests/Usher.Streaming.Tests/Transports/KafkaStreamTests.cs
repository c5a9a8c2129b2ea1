using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Transports;

/// <summary>Kafka against librdkafka's built-in mock cluster (<c>test.mock.num.brokers</c>): real clients, in-process brokers.</summary>
public sealed class KafkaStreamTests
{
    [Fact]
    public async Task MockCluster_AnswersEveryMessage_AndCommitsTheGroupsOffsets()
    {
        const int count = 300;
        var owner = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        owner.Set("test.mock.num.brokers", "1");
        using var producer = new ProducerBuilder<Null, string>(owner).Build();
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers[0];
        var bootstrap = $"{broker.Host}:{broker.Port}";
        for (var i = 0; i < count; i++)
        {
            await producer.ProduceAsync("tx", new Message<Null, string> { Value = Requests.Fraud(i) });
        }

        await using var models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
        var spec = new StreamSpec
        {
            Model = "fraud",
            Source = $"kafka://{bootstrap}/tx?session.timeout.ms=6000",
            Sink = $"kafka://{bootstrap}/scores",
            Consumer = "k1",
        };
        using var metrics = new StreamMetrics();
        using var stop = new CancellationTokenSource();
        var run = StreamRunner.RunAsync(spec, new RouterScorer(models.Router), metrics, TimeProvider.System, NullLogger.Instance, stop.Token);

        var answered = new HashSet<string>(StringComparer.Ordinal);
        using (var check = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "check", AutoOffsetReset = AutoOffsetReset.Earliest, SessionTimeoutMs = 6000 }).Build())
        {
            check.Subscribe("scores");
            var until = DateTime.UtcNow.AddSeconds(90);
            while (answered.Count < count && DateTime.UtcNow < until)
            {
                ConsumeResult<Ignore, string>? result;
                try
                {
                    result = check.Consume(TimeSpan.FromMilliseconds(200));
                }
                catch (ConsumeException exception) when (exception.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                    // The answers' topic appears with the first answer.
                    continue;
                }

                if (result is { Message: { } message })
                {
                    using var json = JsonDocument.Parse(message.Value);
                    Assert.True(json.RootElement.TryGetProperty("response", out _), message.Value);
                    answered.Add(json.RootElement.GetProperty("source_id").GetString()!);
                }
            }

            check.Close();
        }

        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(count, answered.Count);
        Assert.All(answered, id => Assert.StartsWith("tx/", id, StringComparison.Ordinal));

        // Closing the consumer committed what was answered: every partition's committed offset is its end.
        using var group = new ConsumerBuilder<Ignore, string>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "usher" }).Build();
        var partitions = admin.GetMetadata("tx", TimeSpan.FromSeconds(10)).Topics[0].Partitions.Select(p => new TopicPartition("tx", p.PartitionId)).ToList();
        var committed = group.Committed(partitions, TimeSpan.FromSeconds(10));
        Assert.Equal(count, committed.Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value));
    }
}
