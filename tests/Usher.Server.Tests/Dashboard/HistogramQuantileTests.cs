using Usher.Server.Dashboard;

namespace Usher.Server.Tests.Dashboard;

public sealed class HistogramQuantileTests
{
    private static readonly double[] Bounds = [1, 2, 4];

    [Fact]
    public void Estimate_RankInsideABucket_InterpolatesLinearlyFromItsLowerBound()
    {
        // 10 values in (1, 2]: the median is rank 5 of 10, halfway through the bucket: 1 + (2 - 1) * 5/10.
        Assert.Equal(1.5, HistogramQuantile.Estimate(Bounds, [0, 10, 0, 0], 0.5));

        // 4 in [0, 1], 4 in (2, 4]: rank 7.92 of 8 is 3.92 of the 4 in (2, 4]: 2 + 2 * 3.92/4 = 3.96.
        Assert.Equal(3.96, HistogramQuantile.Estimate(Bounds, [4, 0, 4, 0], 0.99)!.Value, 12);

        // The first bucket starts at zero: rank 2 of 4 there is 0 + 1 * 2/4.
        Assert.Equal(0.5, HistogramQuantile.Estimate(Bounds, [4, 0, 0, 0], 0.5));
    }

    [Fact]
    public void Estimate_RankInTheOverflowBucket_AnswersTheHighestBound()
        => Assert.Equal(4, HistogramQuantile.Estimate(Bounds, [1, 0, 0, 9], 0.5));

    [Fact]
    public void Estimate_EmptyHistogram_IsNull()
        => Assert.Null(HistogramQuantile.Estimate(Bounds, [0, 0, 0, 0], 0.99));

    [Fact]
    public void Estimate_WrongNumberOfCounts_Throws()
        => Assert.Throws<ArgumentException>(() => HistogramQuantile.Estimate(Bounds, [1, 2, 3], 0.5));

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(1, 0)]
    [InlineData(1.0001, 1)]
    [InlineData(4, 2)]
    [InlineData(4.5, 3)]
    public void BucketOf_PutsAValueInTheFirstBucketWhoseBoundIsAtOrAboveIt(double value, int bucket)
        => Assert.Equal(bucket, HistogramQuantile.BucketOf(Bounds, value));
}
