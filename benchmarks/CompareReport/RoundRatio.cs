namespace CompareReport;

/// <summary>One round of a target: the two figures it compares (requests/s, or p99 ms for the shadow) and their ratio.</summary>
internal sealed record RoundRatio(int Round, double Numerator, double Denominator)
{
    public double Value => Numerator / Denominator;

    /// <summary>
    /// The median of the rounds' ratios (the mean of the middle two for an even count), or null without a round.
    /// A target is judged on it rather than on the ratio of the two configurations' medians: each round's ratio
    /// compares two points measured seconds apart, so a slow stretch of a shared machine lands on both and cancels,
    /// where medians taken apart may pair one configuration's fast round with the other's slow one.
    /// </summary>
    public static double? Median(IReadOnlyList<RoundRatio> rounds)
    {
        var values = rounds.Select(r => r.Value).Where(double.IsFinite).Order().ToList();
        if (values.Count == 0)
        {
            return null;
        }

        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
