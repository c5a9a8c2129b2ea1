using StackExchange.Redis;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Redis;

/// <summary>
/// Answers as entries of a Redis stream, N kept (<c>?maxlen=</c>, default 1,000,000, trimmed with
/// <c>MAXLEN ~</c>): fields <c>source_id</c>, <c>endpoint</c>, <c>model_version</c> and <c>response</c>,
/// or <c>error</c>, <c>reason</c>, <c>attempts</c> and <c>request</c>. A micro-batch's answers go in one
/// command, a script that runs an <c>XADD</c> for each and one <c>XTRIM</c> for them all (a server that
/// refuses scripts gets an <c>XADD ... MAXLEN ~</c> per answer instead).
/// </summary>
internal sealed class RedisStreamSink : IStreamSink
{
    // ARGV: the length to keep, then per answer its field count and its fields and values. Redis runs
    // a script whole, so the answers land together, in order; an error stops it where it happened
    // (entries added before stay), and the pipeline writes the batch again: at least once, as before.
    private const string AddAllScript = """
        local i = 2
        while i <= #ARGV do
          local n = tonumber(ARGV[i])
          redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + 2 * n))
          i = i + 1 + 2 * n
        end
        redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1])
        return 0
        """;

    private readonly ConnectionMultiplexer _connection;
    private readonly RedisKey[] _key;
    private readonly long _maxLength;
    private bool _scriptsRefused;

    private RedisStreamSink(ConnectionMultiplexer connection, StreamAddress address)
    {
        _connection = connection;
        _key = [address.Name];
        _maxLength = address.Number("maxlen", 1_000_000);
    }

    public static async Task<RedisStreamSink> OpenAsync(StreamAddress address)
        => new(await RedisConnections.OpenAsync(address, forBlockingReads: false).ConfigureAwait(false), address);

    public async ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        var db = _connection.GetDatabase();
        if (!Volatile.Read(ref _scriptsRefused))
        {
            try
            {
                // One command and one reply for the batch: a command per answer cost the consumer about
                // as much CPU in the client as scoring the message did.
                await db.ScriptEvaluateAsync(AddAllScript, _key, Arguments(answers, _maxLength)).WaitAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RedisServerException exception) when (IsScriptRefused(exception))
            {
                Volatile.Write(ref _scriptsRefused, true);
            }
        }

        // Concurrent calls are pipelined on the one connection.
        var writes = new Task[answers.Count];
        for (var i = 0; i < writes.Length; i++)
        {
            writes[i] = db.StreamAddAsync(_key[0], Fields(answers[i]), maxLength: (int)Math.Min(_maxLength, int.MaxValue), useApproximateMaxLength: true);
        }

        await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A server whose ACL or configuration forbids scripts: answers go one command each.</summary>
    internal static bool IsScriptRefused(RedisServerException exception)
        => exception.Message.StartsWith("NOPERM", StringComparison.Ordinal)
            || exception.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase);

    /// <summary>The script's arguments: the length to keep, then each answer's field count, fields and values.</summary>
    internal static RedisValue[] Arguments(IReadOnlyList<StreamAnswer> answers, long maxLength)
    {
        var count = 1;
        var fields = new NameValueEntry[answers.Count][];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = Fields(answers[i]);
            count += 1 + (2 * fields[i].Length);
        }

        var arguments = new RedisValue[count];
        arguments[0] = maxLength;
        var at = 1;
        foreach (var entry in fields)
        {
            arguments[at++] = entry.Length;
            foreach (var field in entry)
            {
                arguments[at++] = field.Name;
                arguments[at++] = field.Value;
            }
        }

        return arguments;
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
