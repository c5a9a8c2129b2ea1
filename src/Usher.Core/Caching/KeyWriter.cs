using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Usher.Core.Caching;

/// <summary>
/// Appends little-endian fields to a pooled buffer. Every variable-length field carries its length
/// first, so no two different field sequences encode to the same bytes.
/// </summary>
internal ref struct KeyWriter
{
    private byte[] _buffer;
    private int _length;

    public KeyWriter(int capacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));
        _length = 0;
    }

    public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);

    /// <summary>The UTF-8 byte count, then the bytes.</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteInt32(count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    /// <summary>The byte count, then the bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>A copy of what was written; the pooled buffer goes back to the pool.</summary>
    public byte[] ToArrayAndReturn()
    {
        var result = Written.ToArray();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
        return result;
    }

    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _length < count)
        {
            var larger = ArrayPool<byte>.Shared.Rent(checked(Math.Max(_buffer.Length * 2, _length + count)));
            Written.CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
