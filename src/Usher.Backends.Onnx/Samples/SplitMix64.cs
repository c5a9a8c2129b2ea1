namespace Usher.Backends.Onnx.Samples;

/// <summary>
/// Sebastiano Vigna's SplitMix64: a tiny seeded generator whose sequence is fixed by its definition,
/// so generated weights never depend on the runtime's <see cref="Random"/> implementation.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// A uniform float in [-bound, bound). Only exactly rounded IEEE operations are used (no
    /// logarithms or cosines, as Box-Muller would need), so every platform gets the same bits.
    /// </summary>
    public float NextSymmetric(double bound) => (float)(((NextDouble() * 2.0) - 1.0) * bound);
}
