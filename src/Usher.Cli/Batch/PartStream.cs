using System.Buffers;

namespace Usher.Cli.Batch;

/// <summary>
/// A write-only, seekable stream over an array rented from a pool, grown by renting a larger one: an
/// output part is encoded into it and handed to the commit as it is (<see cref="Detach"/>), without the
/// fresh array and the copy a <see cref="MemoryStream"/> and its <see cref="MemoryStream.ToArray"/> cost.
/// Text formats write it as an <see cref="IBufferWriter{T}"/>, appending at the position.
/// </summary>
internal sealed class PartStream : Stream, IBufferWriter<byte>
{
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _length;
    private int _position;

    /// <summary>A stream whose first buffer holds at least <paramref name="capacity"/> bytes.</summary>
    public PartStream(ArrayPool<byte> pool, int capacity)
    {
        _pool = pool;
        _buffer = pool.Rent(Math.Max(capacity, 256));
    }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => true;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set => _position = (int)Math.Clamp(value, 0, Array.MaxLength);
    }

    /// <summary>The bytes written, as a part that owns the buffer; the stream is empty afterwards.</summary>
    public EncodedPart Detach()
    {
        var part = EncodedPart.Rented(_buffer, _length, _pool);
        _buffer = [];
        _length = 0;
        _position = 0;
        return part;
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var end = checked(_position + buffer.Length);
        Reserve(end);
        buffer.CopyTo(_buffer.AsSpan(_position));
        _position = end;
        _length = Math.Max(_length, end);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(checked(_position + Math.Max(sizeHint, 1)));
        return _buffer.AsSpan(_position);
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(checked(_position + Math.Max(sizeHint, 1)));
        return _buffer.AsMemory(_position);
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _position);
        _position += count;
        _length = Math.Max(_length, _position);
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    /// <inheritdoc />
    public override void SetLength(long value)
    {
        var length = (int)Math.Clamp(value, 0, Array.MaxLength);
        if (length > _length)
        {
            var at = _position;
            _position = _length;
            Write(new byte[length - _length]);
            _position = at;
        }

        _length = length;
        _position = Math.Min(_position, _length);
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a part is written, not read");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Give(_buffer);
            _buffer = [];
        }

        base.Dispose(disposing);
    }

    /// <summary>Room for <paramref name="end"/> bytes, with the gap between the length and the position zeroed.</summary>
    private void Reserve(int end)
    {
        if (end > _buffer.Length)
        {
            var larger = _pool.Rent(Math.Max(end, (int)Math.Min(Array.MaxLength, 2L * _buffer.Length)));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            Give(_buffer);
            _buffer = larger;
        }

        if (_position > _length)
        {
            _buffer.AsSpan(_length, _position - _length).Clear();
        }
    }

    private void Give(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            _pool.Return(buffer);
        }
    }
}
