namespace Usher.Core.Routing;

/// <summary>A half-open share of the bucket space, <c>[Start, End)</c>, owned by one variant.</summary>
/// <param name="Start">Where the range starts, in [0, 1].</param>
/// <param name="End">Where it ends, in [Start, 1].</param>
internal readonly record struct BucketRange(double Start, double End)
{
    /// <summary>Whether <paramref name="bucket"/> falls in this range.</summary>
    public bool Contains(double bucket) => bucket >= Start && bucket < End;

    /// <summary>
    /// GrowthBook's <c>getBucketRanges</c>: variant i starts where the weights before it end and
    /// covers <paramref name="coverage"/> of its weight, so raising coverage never moves a key that
    /// was already assigned. Weights are normalized to sum to 1.
    /// </summary>
    public static IReadOnlyList<BucketRange> Layout(IReadOnlyList<double> weights, double coverage = 1.0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        coverage = Math.Clamp(coverage, 0, 1);
        var total = weights.Sum();
        var ranges = new BucketRange[weights.Count];
        var cumulative = 0.0;
        for (var i = 0; i < weights.Count; i++)
        {
            var share = total > 0 ? weights[i] / total : 0;
            ranges[i] = new BucketRange(cumulative, cumulative + (coverage * share));
            cumulative += share;
        }

        return ranges;
    }
}
