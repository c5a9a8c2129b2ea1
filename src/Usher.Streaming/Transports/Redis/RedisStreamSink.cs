using StackExchange.Redis;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Redis;

/// <summary>
/// Answers as entries of a Redis stream (<c>XADD ... MAXLEN ~ N</c>, N from <c>?maxlen=</c>, default
/// 1,000,000): fields <c>source_id</c>, <c>endpoint</c>, <c>model_version</c> and <c>response</c>,
/// or <c>error</c>, <c>reason</c>, <c>attempts</c> and <c>request</c>.
/// </summary>
internal sealed class RedisStreamSink : IStreamSink
{
    private readonly ConnectionMultiplexer _connection;
    private readonly RedisKey _key;
    private readonly long _maxLength;

    private RedisStreamSink(ConnectionMultiplexer connection, StreamAddress address)
    {
        _connection = connection;
        _key = address.Name;
        _maxLength = address.Number("maxlen", 1_000_000);
    }

    public static async Task<RedisStreamSink> OpenAsync(StreamAddress address)
        => new(await RedisConnections.OpenAsync(address, forBlockingReads: false).ConfigureAwait(false), address);

    public async ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        var db = _connection.GetDatabase();

        // Concurrent calls are pipelined on the one connection.
        var writes = new Task[answers.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            writes[i] = db.StreamAddAsync(_key, Fields(answers[i]), maxLength: (int)Math.Min(_maxLength, int.MaxValue), useApproximateMaxLength: true);
        }

        await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    internal static NameValueEntry[] Fields(StreamAnswer answer)
    {
        if (answer.Response is { } response)
        {
            return
            [
                new("source_id", answer.SourceId),
                new("endpoint", answer.Endpoint),
                new("model_version", answer.ModelVersion ?? 0),
                new("response", response),
            ];
        }

        // A message without a request (a Redis entry lacking the field) has none to carry: a null
        // value would make XADD fail, and the whole batch with it, again and again.
        NameValueEntry[] failure =
        [
            new("source_id", answer.SourceId),
            new("endpoint", answer.Endpoint),
            new("error", answer.Error),
            new("reason", answer.Reason),
            new("attempts", answer.Attempts),
        ];
        return answer.Request is { } request ? [.. failure, new("request", request)] : failure;
    }
}
