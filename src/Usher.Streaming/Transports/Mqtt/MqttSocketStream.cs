namespace Usher.Streaming.Transports.Mqtt;

/// <summary>
/// The broker connection's bytes, with fewer calls into the kernel than MQTTnet makes on its own:
/// reads are served from a 64 KB buffer (MQTTnet reads a packet's header and body separately), and
/// writes are gathered: a write is copied into a pending buffer and returns, and one sender at a time
/// sends everything pending in one call, so that the PUBACKs of a micro-batch, or its answers, which
/// MQTTnet writes one packet at a time, leave in a few writes instead of one each. A failed send fails
/// the next write (MQTTnet then drops the connection, and the broker redelivers what was not
/// acknowledged); disposing sends what is pending first.
/// </summary>
internal sealed class MqttSocketStream : Stream
{
    private const int ReadBufferSize = 64 * 1024;

    // Above this much pending, a write waits for the sender (the socket's pace holds writers back).
    private const int MaxPending = 1024 * 1024;

    private readonly Stream _inner;
    private readonly byte[] _read = new byte[ReadBufferSize];
    private int _readStart;
    private int _readEnd;

    private readonly Lock _gate = new();
    private byte[] _pending = new byte[16 * 1024];
    private byte[] _sending = new byte[16 * 1024];
    private int _pendingLength;
    private Task _sender = Task.CompletedTask;
    private bool _senderRunning;
    private Exception? _sendFailure;

    public MqttSocketStream(Stream inner) => _inner = inner;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readStart < _readEnd)
        {
            return new ValueTask<int>(TakeBuffered(buffer.Span));
        }

        return buffer.Length >= ReadBufferSize ? _inner.ReadAsync(buffer, cancellationToken) : FillAndReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (_readStart == _readEnd)
        {
            if (buffer.Length >= ReadBufferSize)
            {
                return _inner.Read(buffer);
            }

            _readStart = 0;
            _readEnd = _inner.Read(_read);
            if (_readEnd == 0)
            {
                return 0;
            }
        }

        return TakeBuffered(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_sendFailure is { } failure)
            {
                return ValueTask.FromException(new IOException("sending to the MQTT broker failed", failure));
            }

            if (_pendingLength + buffer.Length > MaxPending && _senderRunning)
            {
                return WaitThenWriteAsync(_sender, buffer, cancellationToken);
            }

            Append(buffer.Span);
            if (!_senderRunning)
            {
                _senderRunning = true;
                _sender = Task.Run(SendAsync, CancellationToken.None);
            }
        }

        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Flush();
        _inner.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Waits until what was written so far has been handed to the socket.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        Task sender;
        lock (_gate)
        {
            sender = _sender;
        }

        await sender.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_sendFailure is { } failure)
            {
                throw new IOException("sending to the MQTT broker failed", failure);
            }
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            SendPendingBeforeClosing();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or TimeoutException or ObjectDisposedException)
        {
            // Closing anyway; what was not sent is redelivered by the broker.
        }

        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void SendPendingBeforeClosing()
    {
        try
        {
            // Bounded: a connection being torn down must not hold its closer for long.
            FlushAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
            // Closing anyway; what was not sent is redelivered by the broker.
        }
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _readEnd - _readStart);
        _read.AsSpan(_readStart, count).CopyTo(destination);
        _readStart += count;
        return count;
    }

    private async ValueTask<int> FillAndReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await _inner.ReadAsync(_read, cancellationToken).ConfigureAwait(false);
        _readStart = 0;
        _readEnd = read;
        return read == 0 ? 0 : TakeBuffered(buffer.Span);
    }

    private async ValueTask WaitThenWriteAsync(Task sender, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await sender.WaitAsync(cancellationToken).ConfigureAwait(false);
        await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_pendingLength + bytes.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + bytes.Length));
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    /// <summary>Sends what is pending, swapping buffers, until nothing is; then stops (the next write starts it again).</summary>
    private async Task SendAsync()
    {
        while (true)
        {
            int length;
            lock (_gate)
            {
                if (_pendingLength == 0)
                {
                    _senderRunning = false;
                    return;
                }

                (_pending, _sending) = (_sending, _pending);
                length = _pendingLength;
                _pendingLength = 0;
            }

            try
            {
                await _inner.WriteAsync(_sending.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                lock (_gate)
                {
                    _sendFailure = exception;
                    _pendingLength = 0;
                    _senderRunning = false;
                }

                return;
            }
        }
    }
}
