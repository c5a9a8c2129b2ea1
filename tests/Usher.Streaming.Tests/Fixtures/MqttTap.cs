using System.Net;
using System.Net.Sockets;

namespace Usher.Streaming.Tests.Fixtures;

/// <summary>
/// A TCP relay between MQTT clients and a broker on loopback that reads the packets passing through
/// (their type and packet id, per connection and direction), can drop every connection it relays (the
/// client sees the broker go away; the broker sees the client go), and can hold back what the broker
/// sends (a client then waits for its PUBACKs).
/// </summary>
public sealed class MqttTap : IAsyncDisposable
{
    public const int Publish = 3;
    public const int PubAck = 4;

    private readonly TcpListener _listener;
    private readonly int _brokerPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<TapPacket> _packets = [];
    private readonly List<Socket> _open = [];
    private readonly List<Task> _pumps = [];
    private TaskCompletionSource _replies = Opened();
    private int _connections;
    private Task _accepting = Task.CompletedTask;

    private MqttTap(int brokerPort)
    {
        _brokerPort = brokerPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections relayed so far (numbered from 1 in <see cref="TapPacket.Connection"/>).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static MqttTap Start(int brokerPort)
    {
        var tap = new MqttTap(brokerPort);
        tap._listener.Start();
        tap._accepting = tap.AcceptAsync();
        return tap;
    }

    /// <summary>The packets read so far, in the order each direction carried them.</summary>
    public IReadOnlyList<TapPacket> Packets
    {
        get
        {
            lock (_gate)
            {
                return [.. _packets];
            }
        }
    }

    /// <summary>Stops relaying the broker's bytes to the clients until <see cref="ReleaseReplies"/>.</summary>
    public void HoldReplies()
    {
        lock (_gate)
        {
            if (_replies.Task.IsCompleted)
            {
                _replies = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void ReleaseReplies()
    {
        lock (_gate)
        {
            _replies.TrySetResult();
        }
    }

    /// <summary>Closes both sides of every connection relayed so far.</summary>
    public void Drop()
    {
        lock (_gate)
        {
            foreach (var socket in _open)
            {
                socket.Close(0);
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        ReleaseReplies();
        Drop();
        Task[] pumps;
        lock (_gate)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll([_accepting, .. pumps]).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var broker = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.NoDelay = true;
            await broker.ConnectAsync(IPAddress.Loopback, _brokerPort, _stop.Token);
            var connection = Interlocked.Increment(ref _connections);
            lock (_gate)
            {
                _open.Add(client);
                _open.Add(broker);
                _pumps.Add(PumpAsync(client, broker, connection, fromClient: true));
                _pumps.Add(PumpAsync(broker, client, connection, fromClient: false));
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, int connection, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        var unparsed = new List<byte>();
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                unparsed.AddRange(buffer.AsSpan(0, read));
                Parse(unparsed, connection, fromClient);
                if (!fromClient)
                {
                    Task replies;
                    lock (_gate)
                    {
                        replies = _replies.Task;
                    }

                    await replies.WaitAsync(_stop.Token);
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Dropped or stopped.
        }

        from.Close(0);
        to.Close(0);
    }

    /// <summary>Records each whole packet in <paramref name="unparsed"/> (MQTT fixed header, then the packet id where the type has one) and removes it.</summary>
    private void Parse(List<byte> unparsed, int connection, bool fromClient)
    {
        while (true)
        {
            if (unparsed.Count < 2)
            {
                return;
            }

            var length = 0;
            var multiplier = 1;
            var offset = 1;
            byte digit;
            do
            {
                if (offset >= unparsed.Count)
                {
                    return;
                }

                digit = unparsed[offset++];
                length += (digit & 0x7F) * multiplier;
                multiplier *= 128;
            }
            while ((digit & 0x80) != 0);

            if (unparsed.Count < offset + length)
            {
                return;
            }

            var type = unparsed[0] >> 4;
            int? packetId = null;
            if (type == Publish && ((unparsed[0] >> 1) & 3) > 0)
            {
                var topic = (unparsed[offset] << 8) | unparsed[offset + 1];
                var at = offset + 2 + topic;
                packetId = (unparsed[at] << 8) | unparsed[at + 1];
            }
            else if (type == PubAck)
            {
                packetId = (unparsed[offset] << 8) | unparsed[offset + 1];
            }

            lock (_gate)
            {
                _packets.Add(new TapPacket(connection, fromClient, type, packetId));
            }

            unparsed.RemoveRange(0, offset + length);
        }
    }
}
