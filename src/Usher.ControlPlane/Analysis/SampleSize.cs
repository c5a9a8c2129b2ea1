namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Samples per arm for a two-sided test with equal arms (statistics.md §3c), rounded up.
/// </summary>
internal static class SampleSize
{
    /// <summary>n/arm = (z_{1−α/2} + z_{power})² · (p1(1−p1) + p2(1−p2)) / (p2 − p1)², the unpooled formula.</summary>
    public static long ForProportions(double p1, double p2, double alpha = 0.05, double power = 0.8)
    {
        CheckRate(p1, nameof(p1));
        CheckRate(p2, nameof(p2));
        if (p1 == p2)
        {
            throw new ArgumentException("the two proportions must differ");
        }

        var z = Z(alpha, power);
        return Ceiling(z * z * ((p1 * (1 - p1)) + (p2 * (1 - p2))) / ((p2 - p1) * (p2 - p1)));
    }

    /// <summary>n/arm = 2 (z_{1−α/2} + z_{power})² σ² / δ² (normal approximation).</summary>
    public static long ForMeans(double standardDeviation, double difference, double alpha = 0.05, double power = 0.8)
    {
        if (!(standardDeviation > 0) || difference == 0 || !double.IsFinite(difference))
        {
            throw new ArgumentException($"need σ > 0 and δ ≠ 0, got σ = {standardDeviation}, δ = {difference}");
        }

        var z = Z(alpha, power);
        return Ceiling(2 * z * z * standardDeviation * standardDeviation / (difference * difference));
    }

    private static double Z(double alpha, double power)
    {
        CheckRate(alpha, nameof(alpha));
        CheckRate(power, nameof(power));
        return NormalTail.Quantile(1 - (alpha / 2)) + NormalTail.Quantile(power);
    }

    // Rounding up a value that is an integer up to floating error (1570.0000000001) would add an arm member.
    private static long Ceiling(double n) => (long)Math.Ceiling(n - 1e-9);

    private static void CheckRate(double value, string name)
    {
        if (!(value > 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be within (0, 1)");
        }
    }
}
