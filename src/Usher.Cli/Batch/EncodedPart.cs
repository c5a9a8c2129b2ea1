using System.Buffers;

namespace Usher.Cli.Batch;

/// <summary>
/// An output part's bytes: the first <see cref="Length"/> bytes of an array that may be rented from a
/// pool, so that a wide output (4 MiB per chunk of mlp-large) is not a fresh large array, and another
/// copy of it, per chunk. <see cref="Dispose"/> gives the array back once the part is committed.
/// </summary>
internal sealed class EncodedPart : IDisposable
{
    private byte[] _array;
    private ArrayPool<byte>? _pool;

    private EncodedPart(byte[] array, int length, ArrayPool<byte>? pool)
    {
        _array = array;
        Length = length;
        _pool = pool;
    }

    /// <summary>The part's size in bytes.</summary>
    public int Length { get; private set; }

    /// <summary>The part's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>A part that owns <paramref name="bytes"/> (nothing to give back).</summary>
    public static EncodedPart Of(byte[] bytes) => new(bytes, bytes.Length, null);

    /// <summary>A part of the first <paramref name="length"/> bytes of <paramref name="array"/>, rented from <paramref name="pool"/>.</summary>
    public static EncodedPart Rented(byte[] array, int length, ArrayPool<byte> pool) => new(array, length, pool);

    /// <summary>Gives a rented array back to its pool; the part is empty afterwards.</summary>
    public void Dispose()
    {
        if (_pool is { } pool)
        {
            _pool = null;
            pool.Return(_array);
            _array = [];
            Length = 0;
        }
    }
}
