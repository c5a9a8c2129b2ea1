using System.Globalization;
using StackExchange.Redis;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Redis;

/// <summary>
/// A Redis stream read by a consumer group: first this consumer's own pending entries (a restart
/// under the same name takes them back), then new ones (<c>XREADGROUP ... &gt;</c>, blocking on a
/// connection of its own), and every half <see cref="StreamSpec.ClaimIdle"/> the entries pending on
/// other consumers for longer than that (<c>XAUTOCLAIM</c>: a consumer killed with kill -9 loses
/// nothing). The request is the entry's field <c>request</c>; <c>XACK</c> comes only after the answers are written.
/// </summary>
internal sealed class RedisStreamSource : IStreamSource
{
    private const int BlockMilliseconds = 500;
    private static readonly RedisValue RequestField = "request";
    private readonly ConnectionMultiplexer _commands;
    private readonly ConnectionMultiplexer _reads;
    private readonly RedisKey _key;
    private readonly string _endpoint;
    private readonly string _group;
    private readonly string _consumer;
    private readonly TimeSpan _claimIdle;
    private readonly TimeProvider _time;
    // Entries this consumer holds (read, not yet acknowledged): XAUTOCLAIM also returns our own
    // entries when scoring them outlasts the claim idle time, and those must not run twice.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);
    private RedisValue _claimCursor = "0-0";
    private long _lag = -1;

    private RedisStreamSource(ConnectionMultiplexer commands, ConnectionMultiplexer reads, StreamAddress address, StreamSpec spec, TimeProvider time)
    {
        _commands = commands;
        _reads = reads;
        _key = address.Name;
        _endpoint = $"{address.Host}:{address.Port}";
        _group = spec.Group;
        _consumer = spec.Consumer;
        _claimIdle = spec.ClaimIdle;
        _time = time;
    }

    public long? Lag => Interlocked.Read(ref _lag) is var lag && lag >= 0 ? lag : null;

    /// <summary>Connects and creates the group (from the stream's first entry) when it does not exist.</summary>
    public static async Task<RedisStreamSource> OpenAsync(StreamAddress address, StreamSpec spec, TimeProvider time)
    {
        var commands = await RedisConnections.OpenAsync(address, forBlockingReads: false).ConfigureAwait(false);
        var reads = await RedisConnections.OpenAsync(address, forBlockingReads: true).ConfigureAwait(false);
        var source = new RedisStreamSource(commands, reads, address, spec, time);
        await source.JoinGroupAsync(commands.GetDatabase()).ConfigureAwait(false);
        return source;
    }

    /// <summary>Creates the group (from the stream's first entry) when it does not exist, such as after a Redis that lost its data restarted.</summary>
    private async Task JoinGroupAsync(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(_key, _group, StreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists: join it.
        }
    }

    /// <summary>
    /// Reads until stopped. Redis going away (the connection dropped, a restart still loading) throws
    /// <see cref="StreamInterruptedException"/>: the pipeline runs this again after a backoff, and it
    /// starts over with the group (recreated if Redis came back without it) and this consumer's own
    /// pending entries, which include any whose read reply the drop lost.
    /// </summary>
    public async Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
    {
        try
        {
            await ReadAsync(inbox, stopReading).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsInterruption(exception))
        {
            if (stopReading.IsCancellationRequested)
            {
                // Stopped while Redis is away (SIGTERM or Ctrl-C during a reconnect): reading is over, not
                // failed; what this consumer holds unacknowledged stays pending for redelivery.
                return;
            }

            throw new StreamInterruptedException($"Redis at {_endpoint}: {exception.Message}", exception);
        }
    }

    /// <summary>A failure that passes once Redis is back (the connection, a timeout, a restart); other server errors are for good.</summary>
    internal static bool IsInterruption(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("NOGROUP", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal),
        _ => false,
    };

    private async Task ReadAsync(MessageInbox inbox, CancellationToken stopReading)
    {
        var db = _commands.GetDatabase();
        await JoinGroupAsync(db).ConfigureAwait(false);
        await ReadOwnPendingAsync(db, inbox, stopReading).ConfigureAwait(false);
        inbox.ReportReading();
        var claimEvery = TimeSpan.FromTicks(Math.Max(_claimIdle.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks));
        var nextClaim = _time.GetTimestamp();
        var nextLag = nextClaim;
        while (!stopReading.IsCancellationRequested)
        {
            var room = await inbox.ReserveAsync(inbox.Capacity, stopReading).ConfigureAwait(false);
            var used = 0;
            try
            {
                if (_time.GetElapsedTime(nextLag) >= TimeSpan.Zero)
                {
                    await MeasureLagAsync(db).ConfigureAwait(false);
                    nextLag = _time.GetTimestamp() + (long)(_time.TimestampFrequency * 1.0);
                }

                if (_time.GetElapsedTime(nextClaim) >= TimeSpan.Zero)
                {
                    used = await ClaimAsync(db, inbox, room).ConfigureAwait(false);
                    if (_claimCursor == "0-0")
                    {
                        nextClaim = _time.GetTimestamp() + (long)(claimEvery.TotalSeconds * _time.TimestampFrequency);
                    }
                }

                if (used == 0)
                {
                    used = await ReadNewAsync(inbox, room).ConfigureAwait(false);
                }
            }
            finally
            {
                inbox.Unreserve(room - used);
            }
        }
    }

    public async ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        var ids = new RedisValue[messages.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = messages[i].Id;
        }

        await _commands.GetDatabase().StreamAcknowledgeAsync(_key, _group, ids).ConfigureAwait(false);
        foreach (var message in messages)
        {
            _held.TryRemove(message.Id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reads.DisposeAsync().ConfigureAwait(false);
        await _commands.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>After a restart: the entries this consumer had read and not acknowledged.</summary>
    private async Task ReadOwnPendingAsync(IDatabase db, MessageInbox inbox, CancellationToken stopReading)
    {
        RedisValue after = "0-0";
        while (!stopReading.IsCancellationRequested)
        {
            var room = await inbox.ReserveAsync(inbox.Capacity, stopReading).ConfigureAwait(false);
            var used = 0;
            StreamEntry[] entries;
            try
            {
                entries = await db.StreamReadGroupAsync(_key, _group, _consumer, after, room).ConfigureAwait(false);
                used = await AddAsync(db, inbox, entries, counted: true).ConfigureAwait(false);
            }
            finally
            {
                inbox.Unreserve(room - used);
            }

            if (entries.Length == 0)
            {
                return;
            }

            after = entries[^1].Id;
        }
    }

    private async Task<int> ClaimAsync(IDatabase db, MessageInbox inbox, int room)
    {
        var claimed = await db.StreamAutoClaimAsync(_key, _group, _consumer, (long)_claimIdle.TotalMilliseconds, _claimCursor, room).ConfigureAwait(false);
        _claimCursor = claimed.NextStartId.IsNullOrEmpty ? "0-0" : claimed.NextStartId;
        return await AddAsync(db, inbox, claimed.ClaimedEntries, counted: true).ConfigureAwait(false);
    }

    private async Task<int> ReadNewAsync(MessageInbox inbox, int room)
    {
        var reply = await _reads.GetDatabase().ExecuteAsync(
            "XREADGROUP", "GROUP", _group, _consumer, "COUNT", room, "BLOCK", BlockMilliseconds, "STREAMS", _key, ">").ConfigureAwait(false);
        if (reply.IsNull || reply.Length == 0)
        {
            return 0;
        }

        var used = 0;
        foreach (var stream in (RedisResult[])reply!)
        {
            var pair = (RedisResult[])stream!;
            foreach (var entry in (RedisResult[])pair[1]!)
            {
                var parts = (RedisResult[])entry!;
                var id = (string)parts[0]!;
                var fields = parts[1].IsNull ? [] : (RedisResult[])parts[1]!;
                ReadOnlyMemory<byte>? request = null;
                for (var i = 0; i + 1 < fields.Length; i += 2)
                {
                    if (fields[i].Resp2Type == ResultType.BulkString && ((RedisValue)fields[i]).Equals(RequestField))
                    {
                        request = (byte[]?)fields[i + 1];
                    }
                }

                _held[id] = 0;
                inbox.Add(new StreamMessage { Id = id, Request = request, Timestamp = Timestamp(id), Receipt = null });
                used++;
            }
        }

        return used;
    }

    /// <summary>Adds entries read again (own pending, claimed) with their delivery counts from XPENDING.</summary>
    private async Task<int> AddAsync(IDatabase db, MessageInbox inbox, StreamEntry[] entries, bool counted)
    {
        if (entries.Length == 0)
        {
            return 0;
        }

        // Our own entries come back from XAUTOCLAIM when scoring them outlasts the claim idle time:
        // skip those we hold. One acknowledged meanwhile is no longer held, but XACK ran before this
        // check, so the XPENDING below (sent after it) no longer lists it: only listed entries are taken.
        entries = Array.FindAll(entries, e => !_held.ContainsKey(e.Id.ToString()));
        if (entries.Length == 0)
        {
            return 0;
        }

        var deliveries = new Dictionary<string, int>(StringComparer.Ordinal);
        if (counted)
        {
            var pending = await db.StreamPendingMessagesAsync(_key, _group, entries.Length + _held.Count, _consumer, entries[0].Id, entries[^1].Id).ConfigureAwait(false);
            foreach (var info in pending)
            {
                deliveries[info.MessageId!] = info.DeliveryCount;
            }
        }

        var used = 0;
        foreach (var entry in entries)
        {
            var id = entry.Id.ToString();
            if (counted && !deliveries.ContainsKey(id) || !_held.TryAdd(id, 0))
            {
                continue;
            }

            used++;
            var request = entry.IsNull ? RedisValue.Null : entry["request"];
            inbox.Add(new StreamMessage
            {
                Id = id,
                Request = request.IsNull ? null : (byte[]?)request,
                Timestamp = Timestamp(id),
                Deliveries = deliveries.GetValueOrDefault(id, 1),
            });
        }

        return used;
    }

    private async Task MeasureLagAsync(IDatabase db)
    {
        var groups = await db.StreamGroupInfoAsync(_key).ConfigureAwait(false);
        foreach (var group in groups)
        {
            if (group.Name == _group)
            {
                Interlocked.Exchange(ref _lag, (group.Lag ?? 0) + group.PendingMessageCount);
            }
        }
    }

    /// <summary>An entry id's time: its milliseconds part.</summary>
    internal static DateTimeOffset Timestamp(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        return long.TryParse(dash < 0 ? id : id[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UnixEpoch;
    }
}
