using StackExchange.Redis;

namespace Usher.Streaming.Transports.Redis;

/// <summary>Connections to the Redis of an address: fail fast when it does not answer.</summary>
internal static class RedisConnections
{
    public static async Task<ConnectionMultiplexer> OpenAsync(StreamAddress address, bool forBlockingReads)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { address.Host, address.Port } },
            AbortOnConnectFail = true,
            ConnectTimeout = 5000,
            ClientName = "usher-stream",
            // After a drop, reconnect soon (from 100 ms, growing to 5 s), like the pipeline's own backoff.
            ReconnectRetryPolicy = new ExponentialRetry(100, 5000),
        };
        if (forBlockingReads)
        {
            // A blocking XREADGROUP stalls every command behind it on a multiplexed connection, so the
            // reads get a connection of their own; RESP2 keeps the raw reply as nested arrays.
            options.Protocol = RedisProtocol.Resp2;
        }

        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        }
        catch (RedisConnectionException exception)
        {
            throw new StreamTransportException($"{address}: cannot connect to Redis at {address.Host}:{address.Port} ({exception.Message}); is redis-server running there?", exception);
        }
    }
}
