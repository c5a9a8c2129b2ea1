namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Two-proportion z-test (statistics.md §3a): z = (p_b − p_a) / sqrt(p(1−p)(1/n_a + 1/n_b)) with p
/// pooled under H0; the confidence interval of p_b − p_a is the unpooled Wald interval.
/// </summary>
internal static class TwoProportionZTest
{
    /// <summary>Tests b against a.</summary>
    /// <param name="successesA">Events (errors, conversions) in a.</param>
    /// <param name="trialsA">Trials in a, at least 1.</param>
    /// <param name="successesB">Events in b.</param>
    /// <param name="trialsB">Trials in b, at least 1.</param>
    /// <param name="alternative"><see cref="Alternative.Greater"/> asks whether b's rate is greater than a's.</param>
    /// <param name="confidence">Level of the two-sided confidence interval of the difference.</param>
    public static TwoProportionResult Test(
        long successesA, long trialsA, long successesB, long trialsB,
        Alternative alternative = Alternative.TwoSided, double confidence = 0.95)
    {
        Check(successesA, trialsA, nameof(successesA));
        Check(successesB, trialsB, nameof(successesB));

        double n1 = trialsA, n2 = trialsB;
        var p1 = successesA / n1;
        var p2 = successesB / n2;
        var pooled = (successesA + successesB) / (n1 + n2);
        var se0 = Math.Sqrt(pooled * (1 - pooled) * ((1 / n1) + (1 / n2)));
        var z = se0 > 0 ? (p2 - p1) / se0 : 0.0;

        // A pooled rate of 0 or 1 means the two samples agree exactly: no evidence either way.
        var p = se0 > 0
            ? alternative == Alternative.Greater ? NormalTail.Upper(z) : NormalTail.TwoSided(z)
            : 1.0;

        var seUnpooled = Math.Sqrt((p1 * (1 - p1) / n1) + (p2 * (1 - p2) / n2));
        var half = NormalTail.Quantile(1 - ((1 - confidence) / 2)) * seUnpooled;
        return new TwoProportionResult(p1, p2, p2 - p1, z, p, p2 - p1 - half, p2 - p1 + half);
    }

    private static void Check(long successes, long trials, string name)
    {
        if (trials < 1 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(name, $"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}");
        }
    }
}
