using System.Net;
using System.Net.Sockets;
using Usher.Streaming.Transports.Mqtt;

namespace Usher.Streaming.Tests.Transports;

/// <summary>The MQTT connection's stream over a real loopback socket: gathered writes and buffered reads keep every byte, in order.</summary>
public sealed class MqttSocketStreamTests
{
    [Fact]
    public async Task Writes_WithoutFlush_ArriveWholeAndInOrder_AndClosingSendsWhatIsPending()
    {
        var (client, peer) = await ConnectAsync();
        using var broker = peer;

        // Packet-sized writes, as MQTTnet makes them (a PUBACK is 4 bytes), none awaited for the wire.
        var expected = new List<byte>();
        for (var i = 0; i < 5_000; i++)
        {
            var packet = BitConverter.GetBytes(i).Concat(new byte[i % 7]).ToArray();
            expected.AddRange(packet);
            await client.WriteAsync(packet);
        }

        await client.DisposeAsync();
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await peer.ReceiveAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        Assert.Equal(expected.ToArray(), received.ToArray());
    }

    [Fact]
    public async Task Reads_SmallerThanWhatArrived_ReturnEveryByteInOrder()
    {
        var (client, peer) = await ConnectAsync();
        await using var stream = client;
        using var broker = peer;
        var sent = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31 + (i >> 8))).ToArray();
        await peer.SendAsync(sent);
        peer.Shutdown(SocketShutdown.Send);

        // A fixed header's two bytes, then bodies of odd sizes, as MQTTnet reads; then to the end.
        var received = new List<byte>();
        var sizes = new[] { 2, 1, 317, 3, 70_000 };
        var buffer = new byte[70_000];
        for (var k = 0; ; k++)
        {
            var read = await client.ReadAsync(buffer.AsMemory(0, sizes[k % sizes.Length]));
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        Assert.Equal(sent, received.ToArray());
    }

    /// <summary>The stream MQTTnet would get (<see cref="MqttSocketStreams"/>), and the socket at the other end standing in for the broker.</summary>
    private static async Task<(Stream Client, Socket Peer)> ConnectAsync()
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var accepting = server.AcceptSocketAsync();
        var client = await MqttSocketStreams.Instance.ConnectAsync(server.LocalEndpoint, CancellationToken.None);
        return (client, await accepting);
    }
}
