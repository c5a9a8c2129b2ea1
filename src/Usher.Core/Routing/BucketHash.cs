using System.Globalization;

namespace Usher.Core.Routing;

/// <summary>
/// GrowthBook's sticky hash (version 2): <c>fnv1a32(str(fnv1a32(seed + key))) % 10000 / 10000</c>,
/// over UTF-16 code units as the JavaScript SDK does. A key lands in the same bucket on every
/// replica and in every run, so routing depends only on the key and the route table.
/// </summary>
internal static class BucketHash
{
    /// <summary>The number of buckets: the hash has a resolution of 0.01%.</summary>
    public const int Buckets = 10_000;

    private const uint OffsetBasis = 0x811c9dc5u;

    /// <summary>The bucket of <paramref name="key"/> under <paramref name="seed"/>, in [0, 1).</summary>
    public static double Hash(string seed, string key)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(key);
        // Without building strings: the hash of seed + key continues over key, and uint's decimal
        // digits (at most 10) are formatted on the stack. Every routed request with a key computes it.
        var inner = Fnv1a32(key, Fnv1a32(seed, OffsetBasis));
        Span<char> digits = stackalloc char[10];
        inner.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        var outer = Fnv1a32(digits[..written], OffsetBasis);
        return (outer % Buckets) / (double)Buckets;
    }

    /// <summary>GrowthBook's first hash version: <c>fnv1a32(key + seed) % 1000 / 1000</c>.</summary>
    public static double HashV1(string seed, string key)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentNullException.ThrowIfNull(key);
        return (Fnv1a32(key + seed) % 1000) / 1000.0;
    }

    /// <summary>32-bit FNV-1a over the UTF-16 code units of <paramref name="text"/>.</summary>
    public static uint Fnv1a32(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Fnv1a32(text, OffsetBasis);
    }

    private static uint Fnv1a32(ReadOnlySpan<char> text, uint hash)
    {
        foreach (var c in text)
        {
            hash ^= c;
            hash = unchecked(hash * 0x01000193u);
        }

        return hash;
    }
}
