using Usher.Core.Routing;

namespace Usher.Core.Tests.Routing;

public sealed class RouteTableTests
{
    private static RouteTable Canary(double weight) => weight >= 100
        ? RouteTable.Single("fraud", "fraud", 2)
        : new RouteTable("fraud", [new RouteVariant("fraud", 2, weight), new RouteVariant("fraud", 1, 100 - weight)]);

    [Fact]
    public void Ramp_From5To100_MovesEachKeyAtMostOnce_AndOnlyFromStableToCanary()
    {
        var keys = Enumerable.Range(0, 10_000).Select(i => "user-" + i).ToList();
        var buckets = keys.Select(k => BucketHash.Hash("fraud", k)).ToList();
        var previous = buckets.Select(b => Canary(5).Pick(b).Version).ToList();
        var moves = new int[keys.Count];
        foreach (var weight in new[] { 25.0, 50, 100 })
        {
            var table = Canary(weight);
            for (var i = 0; i < keys.Count; i++)
            {
                var now = table.Pick(buckets[i]).Version;
                if (now != previous[i])
                {
                    Assert.Equal((1L, 2L), (previous[i], now));
                    moves[i]++;
                }

                previous[i] = now;
            }
        }

        Assert.All(moves, m => Assert.InRange(m, 0, 1));
        Assert.All(previous, v => Assert.Equal(2L, v));
    }

    [Fact]
    public void Pick_At25Percent_SendsAQuarterOfKeysToTheCanary()
    {
        var table = Canary(25);
        var onCanary = Enumerable.Range(0, 40_000).Count(i => table.Pick(BucketHash.Hash("fraud", "k" + i)).Version == 2);

        // Binomial(40000, 0.25): σ ≈ 87; allow 5σ.
        Assert.InRange(onCanary, 10_000 - 435, 10_000 + 435);
    }

    [Fact]
    public void Constructor_ReportsEveryProblemWithTheVariants()
    {
        var ex = Assert.Throws<ArgumentException>(() => new RouteTable("fraud", [new RouteVariant("fraud", 1, 70), new RouteVariant("fraud", 1, 20), new RouteVariant("fraud", 3, -5)]));

        Assert.Contains("fraud:3: weight -5 is outside 0..100", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fraud:1 is listed 2 times", ex.Message, StringComparison.Ordinal);
        Assert.Contains("weights add up to 85, expected 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_ByNameOrVersion_FindsTheVariant_AndUnknownIsNull()
    {
        var table = Canary(5);

        Assert.Equal(2, table.Find("fraud:2")!.Version);
        Assert.Equal(1, table.Find(1)!.Version);
        Assert.Null(table.Find("fraud:7"));
    }

    [Fact]
    public void Pick_AtTheTopOfTheSpace_GoesToTheLastVariantWithWeight()
        => Assert.Equal(1, Canary(5).Pick(0.99999).Version);
}
