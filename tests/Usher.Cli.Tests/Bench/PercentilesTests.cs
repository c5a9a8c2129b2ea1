using Usher.Cli.Bench;

namespace Usher.Cli.Tests.Bench;

public sealed class PercentilesTests
{
    [Theory]
    [InlineData(50, 500)]
    [InlineData(90, 900)]
    [InlineData(99, 990)]
    [InlineData(99.9, 999)]
    [InlineData(100, 1000)]
    public void NearestRank_OneToAThousand_IsThePercentOfTheCount(double percent, double expected)
    {
        // 1..1000: the nearest-rank p-th percentile is the value at rank ceil(p/100 * 1000), i.e. 10p.
        double[] values = [.. Enumerable.Range(1, 1000).Select(i => (double)i)];

        Assert.Equal(expected, Percentiles.NearestRank(values, percent));
    }

    [Fact]
    public void NearestRank_Empty_IsNaN() => Assert.True(double.IsNaN(Percentiles.NearestRank([], 50)));
}
