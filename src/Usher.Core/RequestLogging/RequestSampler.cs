namespace Usher.Core.RequestLogging;

/// <summary>
/// Decides which requests are logged: the n-th request is taken when a hash of (seed, n) falls under
/// the share. Lock-free and allocation-free; under a fixed seed the same requests are taken in the
/// same order, so tests can predict them.
/// </summary>
internal sealed class RequestSampler(double share, ulong seed)
{
    private long _count;

    /// <summary>The share of requests taken, in (0, 1].</summary>
    public double Share => share;

    /// <summary>Whether the next request is taken.</summary>
    public bool Next()
    {
        if (share >= 1)
        {
            return true;
        }

        var n = (ulong)Interlocked.Increment(ref _count);
        return Uniform(seed, n) < share;
    }

    /// <summary>The draw for request <paramref name="n"/> under <paramref name="seed"/>: uniform in [0, 1).</summary>
    public static double Uniform(ulong seed, ulong n)
    {
        // SplitMix64's finalizer over the seed's stream at position n.
        var z = seed + (n * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
