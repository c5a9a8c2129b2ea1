namespace Usher.ControlPlane.Analysis;

/// <summary>The Wilson score interval of a binomial proportion.</summary>
internal static class WilsonInterval
{
    /// <summary>
    /// The lower end of the two-sided Wilson interval at <paramref name="confidence"/>:
    /// (p + z²/2n − z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹(1 − (1−confidence)/2).
    /// </summary>
    public static double Lower(long successes, long trials, double confidence)
    {
        if (trials < 1)
        {
            return 0.0;
        }

        double n = trials;
        var p = successes / n;
        var z = NormalTail.Quantile(1 - ((1 - confidence) / 2));
        var z2 = z * z;
        var centre = p + (z2 / (2 * n));
        var spread = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));
        return Math.Max(0.0, (centre - spread) / (1 + (z2 / n)));
    }
}
