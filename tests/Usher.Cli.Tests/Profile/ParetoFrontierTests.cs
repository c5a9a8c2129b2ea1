using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class ParetoFrontierTests
{
    [Fact]
    public void Of_KeepsExactlyThePointsNoOtherBeatsOnBoth()
    {
        var a = Points.Of(1000, 1.0);
        var b = Points.Of(3000, 2.0);
        var c = Points.Of(2500, 2.5);  // b has more throughput at a lower p99
        var d = Points.Of(5000, 4.0);
        var e = Points.Of(900, 0.5);
        var f = Points.Of(5000, 6.0);  // d: same throughput, lower p99
        var g = Points.Of(8000, 3.0, errors: 1); // errors: never on the frontier

        var frontier = ParetoFrontier.Of([a, b, c, d, e, f, g]);

        Assert.Equal([e, a, b, d], frontier);
    }

    [Fact]
    public void Of_AgreesWithPairwiseDominance_OnRandomPoints()
    {
        var random = new Random(7);
        for (var round = 0; round < 50; round++)
        {
            var points = Enumerable.Range(0, 12).Select(_ => Points.Of(random.Next(1, 20) * 100, random.Next(1, 20) / 2.0)).ToList();

            // Independent: a point is on the frontier when no other point is at least as good on both and better on one.
            var expected = points
                .Where(p => !points.Any(q => q.Throughput >= p.Throughput && q.P99Ms <= p.P99Ms && (q.Throughput > p.Throughput || q.P99Ms < p.P99Ms)))
                .DistinctBy(p => (p.Throughput, p.P99Ms))
                .OrderBy(p => p.P99Ms)
                .Select(p => (p.Throughput, p.P99Ms));

            Assert.Equal(expected, ParetoFrontier.Of(points).Select(p => (p.Throughput, p.P99Ms)));
        }
    }

    [Fact]
    public void Of_NoUsablePoint_IsEmpty()
        => Assert.Empty(ParetoFrontier.Of([Points.Of(0, 1), Points.Of(100, double.NaN), Points.Of(100, 1, errors: 3)]));
}
