using System.Globalization;
using Confluent.Kafka;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Kafka;

/// <summary>
/// A Kafka topic read by a consumer group. Offsets are stored only once the answers of every
/// message up to them are produced (per partition, the lowest offset still in flight), and
/// committed by the client's auto-commit: at least once. The message id is TOPIC/PARTITION@OFFSET.
/// Query parameters of the address are passed to librdkafka as settings (<c>?session.timeout.ms=6000</c>).
/// </summary>
internal sealed class KafkaSource : IStreamSource
{
    private readonly IConsumer<byte[]?, byte[]> _consumer;
    private readonly string _topic;
    private readonly Lock _gate = new();
    private readonly Dictionary<TopicPartition, SortedSet<long>> _inFlight = [];
    private readonly Dictionary<TopicPartition, long> _next = [];
    private readonly Queue<ConsumeResult<byte[]?, byte[]>> _carried = new();
    private bool _paused;
    private long _lag = -1;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(100);

    private KafkaSource(IConsumer<byte[]?, byte[]> consumer, string topic)
    {
        _consumer = consumer;
        _topic = topic;
    }

    public long? Lag => Interlocked.Read(ref _lag) is var lag && lag >= 0 ? lag : null;

    public static KafkaSource Open(StreamAddress address, StreamSpec spec)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = $"{address.Host}:{address.Port.ToString(CultureInfo.InvariantCulture)}",
            GroupId = spec.Group,
            ClientId = spec.Consumer,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        foreach (var (key, value) in address.Query)
        {
            config.Set(key, value);
        }

        var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).Build();
        try
        {
            KafkaConnections.Check(consumer.Handle, address);
            consumer.Subscribe(address.Name);
        }
        catch
        {
            consumer.Dispose();
            throw;
        }

        return new KafkaSource(consumer, address.Name);
    }

    public Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
        => Task.Factory.StartNew(() => Consume(inbox, stopReading), stopReading, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var touched = new HashSet<TopicPartition>();
            foreach (var message in messages)
            {
                if (message.Receipt is TopicPartitionOffset offset && _inFlight.TryGetValue(offset.TopicPartition, out var pending))
                {
                    pending.Remove(offset.Offset.Value);
                    touched.Add(offset.TopicPartition);
                }
            }

            foreach (var partition in touched)
            {
                // Everything below the lowest offset still in flight is answered.
                var low = _inFlight[partition].Count > 0 ? _inFlight[partition].Min : _next[partition];
                try
                {
                    _consumer.StoreOffset(new TopicPartitionOffset(partition, low));
                }
                catch (KafkaException)
                {
                    // The partition was revoked meanwhile: its new owner reads from the last commit.
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _consumer.Close();
        _consumer.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Polls until stopped. At the in-flight bound the assigned partitions are paused and polling goes
    /// on (every 100 ms), so the group's heartbeats, rebalances and <c>max.poll.interval.ms</c> are
    /// served while the pipeline is full: the consumer keeps its membership instead of being dropped
    /// and having its partitions (and their in-flight messages) handed to another. A message that
    /// comes while full (from a partition assigned meanwhile) waits here, its partition paused.
    /// </summary>
    private void Consume(MessageInbox inbox, CancellationToken stop)
    {
        inbox.ReportReading();
        var nextLag = DateTime.UtcNow;
        while (!stop.IsCancellationRequested)
        {
            while (_carried.Count > 0 && inbox.TryReserve())
            {
                Add(inbox, _carried.Dequeue());
            }

            var full = _carried.Count > 0 || !inbox.TryReserve();
            if (full && !_paused)
            {
                _consumer.Pause(_consumer.Assignment);
                _paused = true;
            }
            else if (!full && _paused)
            {
                _consumer.Resume(_consumer.Assignment);
                _paused = false;
            }

            ConsumeResult<byte[]?, byte[]>? result;
            try
            {
                result = _consumer.Consume(full ? PausedPoll : Poll);
            }
            catch (ConsumeException exception)
            {
                if (!full)
                {
                    inbox.Unreserve(1);
                }

                throw exception.Error.IsFatal
                    ? new StreamTransportException($"kafka {_topic}: {exception.Error.Reason}", exception)
                    : new StreamInterruptedException($"kafka {_topic}: {exception.Error.Reason}", exception);
            }

            if (result is null || result.IsPartitionEOF || result.Message is null)
            {
                if (!full)
                {
                    inbox.Unreserve(1);
                }
            }
            else if (full)
            {
                _carried.Enqueue(result);
                _consumer.Pause([result.TopicPartition]);
            }
            else
            {
                Add(inbox, result);
            }

            if (DateTime.UtcNow >= nextLag && MeasureLag())
            {
                nextLag = DateTime.UtcNow.AddSeconds(1);
            }
        }
    }

    /// <summary>Adds a message read into room reserved for it; its offset is in flight until acknowledged.</summary>
    private void Add(MessageInbox inbox, ConsumeResult<byte[]?, byte[]> result)
    {
        var offset = result.TopicPartitionOffset;
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(offset.TopicPartition, out var pending))
            {
                _inFlight[offset.TopicPartition] = pending = [];
            }

            pending.Add(offset.Offset.Value);
            _next[offset.TopicPartition] = offset.Offset.Value + 1;
        }

        inbox.Add(new StreamMessage
        {
            Id = $"{offset.Topic}/{offset.Partition.Value.ToString(CultureInfo.InvariantCulture)}@{offset.Offset.Value.ToString(CultureInfo.InvariantCulture)}",
            Request = result.Message.Value,
            Timestamp = result.Message.Timestamp.Type == TimestampType.NotAvailable ? DateTimeOffset.UtcNow : result.Message.Timestamp.UtcDateTime,
            Receipt = offset,
        });
    }

    /// <summary>Offsets not yet answered over the assigned partitions (the end minus the lowest offset in flight, or the read position); false (the lag stays as it was) while that is not known: no partition assigned, or its offsets not known.</summary>
    private bool MeasureLag()
    {
        var assignment = _consumer.Assignment;
        if (assignment.Count == 0)
        {
            return false;
        }

        long behind = 0;
        foreach (var partition in assignment)
        {
            var marks = _consumer.GetWatermarkOffsets(partition);
            if (marks.High == Offset.Unset || marks.Low == Offset.Unset)
            {
                // Nothing fetched from the partition yet, so nothing cached: ask the broker.
                try
                {
                    marks = _consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(1));
                }
                catch (KafkaException)
                {
                    return false;
                }
            }

            // Behind = not answered yet: from the lowest offset still in flight (read, not yet answered),
            // else from the read position; a partition not read from yet has none and starts at its beginning.
            var position = _consumer.Position(partition);
            var next = position != Offset.Unset ? position.Value : marks.Low.Value;
            lock (_gate)
            {
                if (_inFlight.TryGetValue(partition, out var pending) && pending.Count > 0)
                {
                    next = Math.Min(next, pending.Min);
                }
            }

            if (marks.High == Offset.Unset || next < 0)
            {
                return false;
            }

            behind += Math.Max(0, marks.High.Value - next);
        }

        Interlocked.Exchange(ref _lag, behind);
        _ = _topic;
        return true;
    }
}
