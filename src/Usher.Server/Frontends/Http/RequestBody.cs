using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads a whole request body into one buffer, refusing bodies over the limit. A pooled buffer goes
/// back to the pool on dispose; an owned one is left to the tensors that are slices of it.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;
    private readonly bool _pooled;

    private RequestBody(byte[] buffer, int length, bool pooled)
    {
        _buffer = buffer;
        Length = length;
        _pooled = pooled;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static Task<RequestBody?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
        => ReadAsync(request.Body, request.ContentLength, limit, pooled: true, cancellationToken);

    /// <summary>
    /// Reads <paramref name="source"/> to its end, or returns null past <paramref name="limit"/> bytes.
    /// With <paramref name="pooled"/> false, the buffer is a fresh array of exactly the declared
    /// length when one is declared, so that tensors can keep slices of it after the request.
    /// </summary>
    public static async Task<RequestBody?> ReadAsync(Stream source, long? declared, long limit, bool pooled, CancellationToken cancellationToken)
    {
        if (declared > limit)
        {
            return null;
        }

        // One byte more than declared, so that a body longer than it says is seen (and read to its end).
        var capacity = (int)Math.Min(declared ?? 16 * 1024, Math.Min(limit, Array.MaxLength - 1)) + 1;
        var buffer = Rent(capacity, pooled);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        Return(buffer, pooled);
                        return null;
                    }

                    var larger = Rent((int)Math.Min((long)buffer.Length * 2, Array.MaxLength), pooled);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    Return(buffer, pooled);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > limit)
            {
                Return(buffer, pooled);
                return null;
            }

            return new RequestBody(buffer, length, pooled);
        }
        catch
        {
            Return(buffer, pooled);
            throw;
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            Return(buffer, _pooled);
        }
    }

    private static byte[] Rent(int size, bool pooled) => pooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Return(byte[] buffer, bool pooled)
    {
        if (pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
