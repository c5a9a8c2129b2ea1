using Usher.Core.Routing;

namespace Usher.Core.Tests.Routing;

public sealed class BucketRangeTests
{
    [Fact]
    public void Layout_WithHalfCoverage_MatchesGrowthBookGetBucketRanges()
    {
        // statistics.md T20: n = 2, coverage 0.5 → [[0, 0.25], [0.5, 0.75]].
        var ranges = BucketRange.Layout([1, 1], coverage: 0.5);

        Assert.Equal([new BucketRange(0, 0.25), new BucketRange(0.5, 0.75)], ranges);
    }

    [Fact]
    public void Layout_NormalizesWeights_AndRangesAreHalfOpen()
    {
        var ranges = BucketRange.Layout([5, 95]);

        Assert.Equal(0.05, ranges[0].End, 12);
        Assert.True(ranges[0].Contains(0.0));
        Assert.False(ranges[0].Contains(0.05));
        Assert.True(ranges[1].Contains(0.05));
    }
}
