namespace Usher.Core.Caching;

// STUB: the cache work fills this in.
/// <summary>A cache key: a 128-bit hash plus the full canonical key bytes, compared on every hit.</summary>
public sealed class CacheKey
{
}
