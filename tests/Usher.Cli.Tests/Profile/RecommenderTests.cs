using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class RecommenderTests
{
    private static readonly PointMeasurement Fast = Points.Of(2000, 0.8);
    private static readonly PointMeasurement Batched = Points.Of(9000, 4.9, instances: 2, batch: 8);
    private static readonly PointMeasurement Bigger = Points.Of(12000, 12.0, instances: 2, batch: 64);
    private static readonly PointMeasurement Failing = Points.Of(20000, 1.0, errors: 5);

    [Fact]
    public void Pick_TheHighestThroughputWithinTheSlo()
    {
        Assert.Same(Batched, Recommender.Pick([Fast, Batched, Bigger, Failing], sloP99Ms: 5));
        Assert.Same(Batched, Recommender.Pick([Fast, Batched, Bigger], sloP99Ms: 4.9)); // the SLO is inclusive
        Assert.Same(Fast, Recommender.Pick([Fast, Batched, Bigger], sloP99Ms: 4.8));
    }

    [Fact]
    public void Pick_WithoutSlo_TheHighestThroughputOfAllThatWorked()
        => Assert.Same(Bigger, Recommender.Pick([Fast, Batched, Bigger, Failing], sloP99Ms: null));

    [Fact]
    public void Pick_NothingWithinTheSlo_IsNull()
        => Assert.Null(Recommender.Pick([Fast, Batched, Bigger], sloP99Ms: 0.5));

    [Fact]
    public void Pick_EqualThroughput_FewerCoresThenLessMemory()
    {
        var twoCores = Points.Of(5000, 2, instances: 2);
        var oneCore = Points.Of(5000, 3, instances: 1);
        var oneCoreLessMemory = Points.Of(5000, 4, instances: 1, peakMiB: 5);

        Assert.Same(oneCore, Recommender.Pick([twoCores, oneCore], 10));
        Assert.Same(oneCoreLessMemory, Recommender.Pick([twoCores, oneCore, oneCoreLessMemory], 10));
    }
}
