using System.Globalization;
using System.IO.Hashing;

namespace Usher.Core.Caching;

/// <summary>
/// A cache key: a 128-bit XxHash128 of the canonical key bytes, plus the bytes themselves. Two keys
/// are equal only when both the hashes and the full bytes are equal, so a hash collision costs a
/// miss, never another request's answer (Triton's cache compares 64-bit hashes only).
/// </summary>
internal sealed class CacheKey : IEquatable<CacheKey>
{
    private readonly byte[] _bytes;

    /// <summary>A key over <paramref name="bytes"/> with a hash given by the caller; tests force collisions with it.</summary>
    internal CacheKey(UInt128 hash, byte[] bytes)
    {
        Hash = hash;
        _bytes = bytes;
    }

    /// <summary>The 128-bit XxHash128 of the key bytes.</summary>
    public UInt128 Hash { get; }

    /// <summary>The number of key bytes (counted against the cache's size bound).</summary>
    public int Length => _bytes.Length;

    /// <summary>The canonical key bytes.</summary>
    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Equal when the hashes and the full key bytes are equal.</summary>
    public static bool operator ==(CacheKey? left, CacheKey? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Not <see cref="op_Equality"/>.</summary>
    public static bool operator !=(CacheKey? left, CacheKey? right) => !(left == right);

    /// <summary>A key over <paramref name="bytes"/>, which the key keeps: the caller gives them up.</summary>
    internal static CacheKey FromBytes(byte[] bytes) => new(XxHash128.HashToUInt128(bytes), bytes);

    /// <inheritdoc/>
    public bool Equals(CacheKey? other)
        => other is not null && (ReferenceEquals(this, other) || (Hash == other.Hash && Bytes.SequenceEqual(other.Bytes)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as CacheKey);

    /// <inheritdoc/>
    public override int GetHashCode() => (int)(ulong)Hash;

    /// <summary>The hash in hex, for logs.</summary>
    public override string ToString() => Hash.ToString("x32", CultureInfo.InvariantCulture);
}
