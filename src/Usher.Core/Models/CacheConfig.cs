namespace Usher.Core.Models;

/// <summary>The <c>cache</c> section of <c>config.yaml</c>: the prediction cache, off by default.</summary>
internal sealed record CacheConfig
{
    /// <summary>Whether responses are cached.</summary>
    public bool Enabled { get; init; }

    /// <summary>The cache's size bound in bytes; default 64 MiB.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long an entry lives; null = until evicted.</summary>
    public double? TtlSeconds { get; init; }

    /// <summary>The inputs that make up the key; empty = all inputs.</summary>
    public IReadOnlyList<string> KeyInputs { get; init; } = [];

    /// <summary>Round floating-point features to this many decimals before keying; null = exact bytes.</summary>
    public int? RoundDecimals { get; init; }
}
