using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Core.Caching;

/// <summary>One cached answer. The completed task is built once so that a hit allocates nothing.</summary>
internal sealed class CacheEntry(CacheKey key, IReadOnlyList<Tensor> outputs, long size, long expiresAt)
{
    public CacheKey Key { get; } = key;

    public IReadOnlyList<Tensor> Outputs { get; } = outputs;

    public Task<InferenceResult<IReadOnlyList<Tensor>>> Completed { get; } =
        Task.FromResult(InferenceResult<IReadOnlyList<Tensor>>.Success(outputs));

    /// <summary>Bytes counted against the bound; see <see cref="CacheEntrySize"/>.</summary>
    public long Size { get; } = size;

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> from which the entry is stale; <see cref="long.MaxValue"/> = never.</summary>
    public long ExpiresAt { get; } = expiresAt;
}
