namespace Usher.Capacity.Density;

/// <summary>
/// The hit rate of an LRU cache of <c>k</c> items under independent requests with fixed popularity,
/// by Che's approximation (Che, Tung and Wang, IEEE JSAC 2002): the characteristic time T solves
/// sum_i (1 - e^(-p_i T)) = k, and the hit rate is sum_i p_i (1 - e^(-p_i T)).
/// </summary>
internal static class LruHitRate
{
    public static double Che(IReadOnlyList<double> popularity, int slots)
    {
        ArgumentNullException.ThrowIfNull(popularity);
        var total = popularity.Sum();
        if (slots <= 0 || total <= 0)
        {
            return 0;
        }

        if (slots >= popularity.Count(p => p > 0))
        {
            return 1;
        }

        var p = popularity.Select(x => x / total).ToArray();
        double Occupied(double t) => p.Sum(x => 1 - Math.Exp(-x * t));
        var hi = 1.0;
        while (Occupied(hi) < slots)
        {
            hi *= 2;
        }

        var lo = 0.0;
        for (var i = 0; i < 100; i++)
        {
            var mid = (lo + hi) / 2;
            if (Occupied(mid) < slots)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        var time = (lo + hi) / 2;
        return p.Sum(x => x * (1 - Math.Exp(-x * time)));
    }

    /// <summary>Zipf popularity over <paramref name="count"/> items: p_i proportional to 1 / i^s.</summary>
    public static double[] Zipf(int count, double exponent) =>
        [.. Enumerable.Range(1, count).Select(i => 1 / Math.Pow(i, exponent))];
}
