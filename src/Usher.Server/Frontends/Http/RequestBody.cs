using System.Buffers;
using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Reads a whole request body into one buffer, refusing bodies over the limit. Small buffers come from
/// the shared pool and go back to it on dispose; a large one (over <see cref="MaxPooledBytes"/>), or
/// one that tensors keep slices of, is an array of its own that the collector takes back once the
/// request is done, so that one burst of large bodies does not stay parked in the pool.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    /// <summary>The largest buffer taken from (and returned to) the shared pool.</summary>
    public const int MaxPooledBytes = 1024 * 1024;

    /// <summary>The pooled chunks a body of unknown length is read into.</summary>
    public const int ChunkBytes = 64 * 1024;

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
    public static async Task<RequestBody?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var read = await ReadAsync(request.Body, request.ContentLength, limit, poolable: true, RequestMemory.Default, cancellationToken).ConfigureAwait(false);
        return read.IsSuccess ? read.Value : null;
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end, reserving in <paramref name="memory"/> every buffer
    /// before it is taken. Fails with 413 past <paramref name="limit"/> bytes (counted as read, so after
    /// any decompression), and with 503 when the server's memory bound has no room. With
    /// <paramref name="poolable"/> false the buffer is never pooled, so that tensors can keep slices of
    /// it after the request; it is exactly the declared length when one is declared.
    /// </summary>
    /// <remarks>A <see cref="ValueTask{TResult}"/>: a body that is in the connection's buffer already is read without a task per request.</remarks>
    public static async ValueTask<InferenceResult<RequestBody>> ReadAsync(Stream source, long? declared, long limit, bool poolable, RequestMemory memory, CancellationToken cancellationToken)
    {
        if (declared > limit)
        {
            return TooLarge(limit);
        }

        if (declared is null)
        {
            return await ReadChunkedAsync(source, limit, poolable, memory, cancellationToken).ConfigureAwait(false);
        }

        // One byte more than declared, so that a body longer than it says is seen (and read to its end).
        var capacity = (int)Math.Min(declared ?? 16 * 1024, Math.Min(limit, Array.MaxLength - 1)) + 1;
        if (memory.Reserve(capacity, "the request body") is { } full)
        {
            return full;
        }

        var buffer = Rent(capacity, poolable);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        Return(buffer, poolable);
                        return TooLarge(limit);
                    }

                    // Grow to at most one byte past the limit: a body that reaches it is refused whole.
                    var size = (int)Math.Min(Math.Min((long)buffer.Length * 2, limit + 1), Array.MaxLength);
                    if (memory.Reserve(size, "the request body") is { } exhausted)
                    {
                        Return(buffer, poolable);
                        return exhausted;
                    }

                    var larger = Rent(size, poolable);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    Return(buffer, poolable);
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
                Return(buffer, poolable);
                return TooLarge(limit);
            }

            return InferenceResult<RequestBody>.Success(new RequestBody(buffer, length, IsPooled(buffer.Length, poolable)));
        }
        catch
        {
            Return(buffer, poolable);
            throw;
        }
    }

    /// <summary>
    /// A body of unknown length (a decompressing stream, a chunked upload): read into pooled chunks of
    /// <see cref="ChunkBytes"/>, each reserved before it is taken, so that a body past the limit (a
    /// gzip bomb) is refused having taken at most the limit in chunks that go back to the pool, never
    /// one large array; a body within it is then copied once into a buffer of its exact length.
    /// </summary>
    private static async ValueTask<InferenceResult<RequestBody>> ReadChunkedAsync(Stream source, long limit, bool poolable, RequestMemory memory, CancellationToken cancellationToken)
    {
        var chunks = new List<byte[]>();
        long length = 0;
        var last = 0;
        try
        {
            while (true)
            {
                if (chunks.Count == 0 || last == ChunkBytes)
                {
                    if (length > limit)
                    {
                        return TooLarge(limit);
                    }

                    if (memory.Reserve(ChunkBytes, "the request body") is { } full)
                    {
                        return full;
                    }

                    chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkBytes));
                    last = 0;
                }

                var read = await source.ReadAsync(chunks[^1].AsMemory(last, ChunkBytes - last), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                last += read;
                length += read;
            }

            if (length > limit)
            {
                return TooLarge(limit);
            }

            var size = (int)length;
            if (memory.Reserve(size, "the request body") is { } exhausted)
            {
                return exhausted;
            }

            var buffer = Rent(Math.Max(size, 1), poolable);
            var offset = 0;
            foreach (var chunk in chunks)
            {
                var take = Math.Min(ChunkBytes, size - offset);
                chunk.AsSpan(0, take).CopyTo(buffer.AsSpan(offset));
                offset += take;
            }

            return InferenceResult<RequestBody>.Success(new RequestBody(buffer, size, IsPooled(buffer.Length, poolable)));
        }
        finally
        {
            foreach (var chunk in chunks)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
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

    private static InferenceError TooLarge(long limit)
        => new(InferenceErrorKind.InvalidArgument, $"request body is larger than the limit of {limit} bytes (server.max_request_body_bytes)")
        {
            Status = StatusCodes.Status413PayloadTooLarge,
        };

    private static bool IsPooled(int size, bool poolable) => poolable && size <= MaxPooledBytes;

    private static byte[] Rent(int size, bool poolable)
        => IsPooled(size, poolable) ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Return(byte[] buffer, bool poolable)
    {
        if (IsPooled(buffer.Length, poolable))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
