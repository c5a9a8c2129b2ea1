using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Caching;

// STUB: the cache work fills this in.
/// <summary>The prediction cache of one model version.</summary>
public sealed class PredictionCache
{
    /// <summary>Creates a cache bounded by <see cref="CacheConfig.MaxBytes"/>.</summary>
    public PredictionCache(CacheConfig config, TimeProvider time)
    {
        _ = config;
        _ = time;
    }

    /// <summary>Bytes held.</summary>
    public long Bytes => 0;

    /// <summary>Entries held.</summary>
    public int Count => 0;

    /// <summary>The key of a validated request of version <paramref name="version"/> of <paramref name="model"/>.</summary>
    public CacheKey CreateKey(string model, long version, ValidatedRequest request) => throw new NotImplementedException();

    /// <summary>The cached outputs of <paramref name="key"/>, if any and fresh.</summary>
    public bool TryGet(CacheKey key, out IReadOnlyList<Tensor> outputs) => throw new NotImplementedException();

    /// <summary>
    /// The cached outputs, or runs <paramref name="compute"/> once for all concurrent callers with the
    /// same key (single flight) and caches a success.
    /// </summary>
    public Task<InferenceResult<IReadOnlyList<Tensor>>> GetOrComputeAsync(CacheKey key, Func<Task<InferenceResult<IReadOnlyList<Tensor>>>> compute) => throw new NotImplementedException();
}
