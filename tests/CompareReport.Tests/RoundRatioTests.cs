namespace CompareReport.Tests;

/// <summary>
/// The median that judges a target of <c>benchmarks/compare/run.sh</c> from its per-round ratios, against medians
/// worked out by hand. The figures are chosen so that every ratio and every mean is exact in binary floating point.
/// </summary>
public sealed class RoundRatioTests
{
    [Fact]
    public void Value_IsTheNumeratorOverTheDenominator()
        => Assert.Equal(0.75, new RoundRatio(1, 3_000, 4_000).Value);

    [Fact]
    public void Median_OfAnOddCount_IsTheMiddleRatio_NotTheMiddleRound()
    {
        // Ratios by round 2.5, 1.25, 0.5, 4, 1.5: sorted 0.5, 1.25, 1.5, 2.5, 4, so the median is round 5's 1.5
        // (the middle round, 3, has 0.5). The first three alone: sorted 0.5, 1.25, 2.5, median 1.25.
        var rounds = new[]
        {
            new RoundRatio(1, 250, 100),
            new RoundRatio(2, 125, 100),
            new RoundRatio(3, 50, 100),
            new RoundRatio(4, 400, 100),
            new RoundRatio(5, 150, 100),
        };

        Assert.Equal(1.5, RoundRatio.Median(rounds));
        Assert.Equal(1.25, RoundRatio.Median(rounds[..3]));
    }

    [Fact]
    public void Median_OfAnEvenCount_IsTheMeanOfTheMiddleTwoRatios()
    {
        // Ratios 3, 1, 2, 1.5: sorted 1, 1.5, 2, 3; the middle two average to 1.75.
        var rounds = new[]
        {
            new RoundRatio(1, 300, 100),
            new RoundRatio(2, 100, 100),
            new RoundRatio(3, 400, 200),
            new RoundRatio(4, 300, 200),
        };

        Assert.Equal(1.75, RoundRatio.Median(rounds));
    }

    [Fact]
    public void Median_IsOfTheRatios_NotTheRatioOfTheMedians()
    {
        // The numerators' median is 200 and the denominators' 200 (ratio 1), but the rounds' ratios are
        // 2, 2 and 0.25: each round compares its own pair, and the median of those is 2.
        var rounds = new[]
        {
            new RoundRatio(1, 200, 100),
            new RoundRatio(2, 400, 200),
            new RoundRatio(3, 100, 400),
        };

        Assert.Equal(2.0, RoundRatio.Median(rounds));
    }

    [Fact]
    public void Median_OfOneRound_IsItsRatio()
        => Assert.Equal(1.25, RoundRatio.Median([new RoundRatio(7, 5, 4)]));

    [Fact]
    public void Median_WithoutARound_IsNull()
        => Assert.Null(RoundRatio.Median([]));

    [Fact]
    public void Median_LeavesOutARoundWhoseDenominatorIsZero()
    {
        // 1 and 2 remain (median 1.5); counted, the infinite ratio would make it 2, and 0 / 0 would be NaN.
        var rounds = new[]
        {
            new RoundRatio(1, 100, 100),
            new RoundRatio(2, 500, 0),
            new RoundRatio(3, 200, 100),
            new RoundRatio(4, 0, 0),
        };

        Assert.Equal(1.5, RoundRatio.Median(rounds));
    }

    [Fact]
    public void Median_WhenEveryDenominatorIsZero_IsNull()
        => Assert.Null(RoundRatio.Median([new RoundRatio(1, 100, 0), new RoundRatio(2, 0, 0)]));

    [Fact]
    public void Median_LeavesOutARoundThatMeasuredNaN()
    {
        // usher bench writes NaN for a figure when nothing succeeded; 0.5 and 1 remain.
        var rounds = new[]
        {
            new RoundRatio(1, double.NaN, 100),
            new RoundRatio(2, 50, 100),
            new RoundRatio(3, 100, 100),
        };

        Assert.Equal(0.75, RoundRatio.Median(rounds));
    }
}
