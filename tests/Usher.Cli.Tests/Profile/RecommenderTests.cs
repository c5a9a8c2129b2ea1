using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class RecommenderTests
{
    private static readonly PointMeasurement Fast = Points.Of(2000, 0.8);
    private static readonly PointMeasurement Batched = Points.Of(9000, 4.9, instances: 2, batch: 8);
    private static readonly PointMeasurement Bigger = Points.Of(12000, 12.0, instances: 2, batch: 64);
    private static readonly PointMeasurement Failing = Points.Of(20000, 1.0, errors: 5);

    [Fact]
    public void Pick_WithoutHeadroom_TheHighestThroughputWithinTheSlo()
    {
        Assert.Same(Batched, Recommender.Pick([Fast, Batched, Bigger, Failing], sloP99Ms: 5, headroom: 0));
        Assert.Same(Batched, Recommender.Pick([Fast, Batched, Bigger], sloP99Ms: 4.9, headroom: 0)); // the SLO is inclusive
        Assert.Same(Fast, Recommender.Pick([Fast, Batched, Bigger], sloP99Ms: 4.8, headroom: 0));
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

    [Fact]
    public void Pick_ByDefault_KeepsThirtyPercentOfTheSloFree()
    {
        // The quiet rightsize run's fraud on 2 cores, SLO 20 ms: the batched point profiled at p99
        // 14.83 ms (within 20 ms, and served at 20.21 ms: over it); the default at 2.91 ms.
        // 30% headroom: p99 <= 20 x 0.7 = 14 ms, which the batched point misses.
        var batched = Points.Of(14260, 14.83, batch: 32, threads: 2);
        var unbatched = Points.Of(5615, 2.91, threads: 2);

        Assert.Equal(0.3, Recommender.DefaultSloHeadroom);
        Assert.Same(unbatched, Recommender.Pick([unbatched, batched], sloP99Ms: 20));
        Assert.True(Recommender.KeepsHeadroom(unbatched, 20, Recommender.DefaultSloHeadroom));
        Assert.False(Recommender.KeepsHeadroom(batched, 20, Recommender.DefaultSloHeadroom));

        // 14.83 / 20 = 0.7415: a headroom of 0.25 (limit 15 ms) keeps the batched point, 0.26 (14.8 ms) does not.
        Assert.Same(batched, Recommender.Pick([unbatched, batched], sloP99Ms: 20, headroom: 0.25));
        Assert.Same(unbatched, Recommender.Pick([unbatched, batched], sloP99Ms: 20, headroom: 0.26));
    }

    [Fact]
    public void Pick_TheHeadroomLimitIsInclusive()
    {
        var atLimit = Points.Of(9000, 7.0); // 10 ms x (1 - 0.3) = 7 ms
        var below = Points.Of(3000, 1.0);

        Assert.Same(atLimit, Recommender.Pick([below, atLimit], sloP99Ms: 10, headroom: 0.3));
        Assert.Equal(7.0, Recommender.Limit(10, 0.3), 12);
    }

    [Fact]
    public void Pick_NoPointKeepsTheHeadroom_TheBestWithinTheSlo_MarkedAsWithout()
    {
        // Both within the 10 ms SLO, neither within 7 ms: the faster one, flagged.
        var a = Points.Of(4000, 8.0);
        var b = Points.Of(6000, 9.5);
        var over = Points.Of(9000, 10.5);

        var picked = Recommender.Pick([a, b, over], sloP99Ms: 10);

        Assert.Same(b, picked);
        Assert.False(Recommender.KeepsHeadroom(picked!, 10, Recommender.DefaultSloHeadroom));
    }

    [Fact]
    public void Pick_HeadroomOutsideZeroToOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Recommender.Pick([Fast], 5, headroom: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Recommender.Pick([Fast], 5, headroom: 1));
    }

    [Fact]
    public void KeepsHeadroom_WithoutSlo_IsTrue()
        => Assert.True(Recommender.KeepsHeadroom(Bigger, null, Recommender.DefaultSloHeadroom));

    [Fact]
    public void Choose_FasterOnlyWithinTheSpread_KeepsTheDefault()
    {
        // mlp-large on 2 cores in the quiet run of 2026-12-04: one profile measured the unbatched
        // one-thread point at 432 req/s, served at 634; the points differed by less than that.
        // Default 600 (runs 560-690), two instances 660 (610-720): 660 - 600 = 60 <= 130, a tie.
        var defaultPoint = Points.Runs([560, 600, 690], 6, threads: 2, isDefault: true);
        var twoInstances = Points.Runs([610, 660, 720], 9, instances: 2);
        var oneThread = Points.Runs([432, 640, 650], 7);

        var choice = Recommender.Choose([defaultPoint, twoInstances, oneThread], sloP99Ms: 20)!;

        Assert.Same(defaultPoint, choice.Point);
        Assert.Same(twoInstances, choice.Fastest);
        Assert.Equal([twoInstances, oneThread, defaultPoint], choice.Tied); // the fastest first
        Assert.True(choice.IsDefault);
        Assert.True(choice.DefaultWithinNoise);
    }

    [Fact]
    public void Choose_FasterBeyondTheSpread_BeatsTheDefault()
    {
        // 900 - 600 = 300 > max(690 - 560, 940 - 860) = 130: a real difference.
        var defaultPoint = Points.Runs([560, 600, 690], 6, threads: 2, isDefault: true);
        var twoInstances = Points.Runs([860, 900, 940], 9, instances: 2);

        var choice = Recommender.Choose([defaultPoint, twoInstances], sloP99Ms: 20)!;

        Assert.Same(twoInstances, choice.Point);
        Assert.Equal([twoInstances], choice.Tied);
        Assert.False(choice.IsDefault);
        Assert.False(choice.DefaultWithinNoise);
    }

    [Fact]
    public void Choose_TheLargerOfTheTwoSpreadsDecides()
    {
        // The fastest was measured once (spread 0); the other's runs span 100: 80 apart is a tie, 120 is not.
        var fastest = Points.Of(1000, 5, instances: 2);
        var close = Points.Runs([870, 920, 970], 5);
        var far = Points.Runs([830, 880, 930], 5);

        Assert.Equal([fastest, close], Recommender.Choose([fastest, close], 20)!.Tied);
        Assert.Same(close, Recommender.Pick([fastest, close], 20)); // fewer cores
        Assert.Same(fastest, Recommender.Pick([fastest, far], 20));
        Assert.True(Recommender.Ties(fastest, close));
        Assert.False(Recommender.Ties(fastest, far));
    }

    [Fact]
    public void Choose_TiedWithoutTheDefault_FewestResources()
    {
        // The default is over the 14 ms limit; of the three tied points: fewer cores, then fewer instances, then the smaller batch.
        var defaultPoint = Points.Runs([500, 520, 540], 15, threads: 2, isDefault: true);
        var twoCores = Points.Runs([900, 950, 1000], 9, instances: 2);
        var batched = Points.Runs([850, 900, 950], 12, batch: 32);
        var unbatched = Points.Runs([860, 910, 960], 8);

        var choice = Recommender.Choose([defaultPoint, twoCores, batched, unbatched], sloP99Ms: 20)!;

        Assert.Same(unbatched, choice.Point);
        Assert.Same(twoCores, choice.Fastest);
        Assert.Equal(3, choice.Tied.Count);
        Assert.False(choice.IsDefault);
    }

    [Fact]
    public void Choose_ASweptPointWithTheDefaultsSettings_CountsAsTheDefault()
    {
        // The default (1 instance, 2 threads) was over the limit in its median; the swept point with its settings was not.
        var defaultPoint = Points.Runs([600, 610, 620], 15, threads: 2, isDefault: true);
        var sameSettings = Points.Runs([580, 640, 700], 10, threads: 2);
        var oneThread = Points.Runs([620, 660, 690], 9);

        var choice = Recommender.Choose([defaultPoint, sameSettings, oneThread], sloP99Ms: 20)!;

        Assert.Same(sameSettings, choice.Point);
        Assert.True(choice.IsDefault);
        Assert.True(choice.DefaultWithinNoise);
        Assert.True(Recommender.IsDefaultSettings(sameSettings, [defaultPoint, sameSettings]));
        Assert.False(Recommender.IsDefaultSettings(oneThread, [defaultPoint, oneThread]));
    }

    [Fact]
    public void Choose_NoPointKeepsTheHeadroom_TiesAreBrokenWithinTheSlo()
    {
        // Limit 7 ms: none keeps it. Within 10 ms, the default ties with the faster point.
        var defaultPoint = Points.Runs([400, 450, 500], 8, isDefault: true);
        var faster = Points.Runs([460, 500, 540], 9.5, instances: 2);

        var choice = Recommender.Choose([defaultPoint, faster], sloP99Ms: 10)!;

        Assert.Same(defaultPoint, choice.Point);
        Assert.False(Recommender.KeepsHeadroom(choice.Point, 10, Recommender.DefaultSloHeadroom));
    }

    [Fact]
    public void Median_TakesEachFiguresMiddle_AndKeepsTheRange()
    {
        var runs = new[] { Points.Of(432, 12.5), Points.Of(650, 9.0, peakMiB: 30), Points.Of(640, 11.0) };

        var median = PointMeasurement.Median(runs);

        Assert.Equal((640.0, 11.0, 5.5), (median.Throughput, median.P99Ms, median.P50Ms));
        Assert.Equal(new RunSpread(3, 432, 650, 9.0, 12.5), median.Spread);
        Assert.Equal(218, median.ThroughputSpread);
        Assert.Equal(30, median.Memory.PeakMiB); // the highest peak of the runs
        Assert.True(median.IsUsable);
    }

    [Fact]
    public void Median_OfAnEvenCount_TheLessFavourableMiddle()
    {
        var median = PointMeasurement.Median([Points.Of(100, 4), Points.Of(300, 1), Points.Of(200, 3), Points.Of(400, 2)]);

        Assert.Equal((200.0, 3.0), (median.Throughput, median.P99Ms)); // the lower of 200 and 300; the higher of 2 and 3 ms
    }

    [Fact]
    public void Median_ARunThatFailed_MakesThePointUnusable()
    {
        var median = PointMeasurement.Median([Points.Of(900, 4), Points.Of(950, 4, errors: 3), Points.Of(920, 4)]);

        Assert.False(median.IsUsable);
        Assert.Equal(3, median.Errors);
        Assert.Null(Recommender.Pick([median], 20));
    }

    [Fact]
    public void Median_OfOneRun_IsThatRun()
    {
        var once = Points.Of(900, 4);

        Assert.Same(once, PointMeasurement.Median([once]));
        Assert.Equal(0, once.ThroughputSpread);
    }

    [Fact]
    public void Contenders_TheDefaultAndTheFastestWithinTheLimitAndWithinTheSlo()
    {
        // SLO 20 ms, limit 14 ms; three contenders each.
        var defaultPoint = Points.Of(100, 30, isDefault: true); // over the SLO: still measured again, as the comparison
        var within = new[] { Points.Of(500, 5), Points.Of(400, 6), Points.Of(300, 7), Points.Of(200, 8) };
        var overLimit = new[] { Points.Of(900, 15), Points.Of(800, 16), Points.Of(700, 17), Points.Of(600, 18) };
        var failed = Points.Of(5000, 1, errors: 1);
        PointMeasurement[] points = [defaultPoint, .. within, .. overLimit, failed];

        var contenders = Recommender.Contenders(points, 20, 0.3, count: 3);

        Assert.Equal([defaultPoint, within[0], within[1], within[2], overLimit[0], overLimit[1], overLimit[2]], contenders);
        Assert.Equal([defaultPoint, overLimit[0], overLimit[1]], Recommender.Contenders(points, null, 0.3, count: 2));
    }
}
