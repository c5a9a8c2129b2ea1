using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class PopulationStabilityIndexTests
{
    [Fact]
    public void FromShares_MatchesVectorT15() =>
        Approx.Equal(0.2282174, PopulationStabilityIndex.FromShares([0.25, 0.25, 0.25, 0.25], [0.10, 0.20, 0.30, 0.40]), 5e-8);

    [Fact]
    public void FromSamples_SameSample_IsZero()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();

        Assert.Equal(0, PopulationStabilityIndex.FromSamples(values, values));
    }

    [Fact]
    public void FromSamples_CurrentInUpperHalf_UsesReferenceDecilesAndEmptyShare()
    {
        // Reference 0..999 has deciles 99.9k, 10% per bin; current 500..999 fills bins 6-10 with 20%
        // each and leaves bins 1-5 empty (share 0.0001).
        var reference = Enumerable.Range(0, 1000).Select(i => (double)i).ToArray();
        var current = Enumerable.Range(500, 500).Select(i => (double)i).ToArray();
        var expected = (5 * (0.0001 - 0.1) * Math.Log(0.0001 / 0.1)) + (5 * (0.2 - 0.1) * Math.Log(2));

        Approx.Relative(expected, PopulationStabilityIndex.FromSamples(reference, current), 1e-12);
    }

    [Fact]
    public void FromSamples_ValueOnAnEdge_FallsInTheLowerBin()
    {
        // Reference 1..10: deciles 1.9, 2.8, …, 9.1 (numpy linear). Current [1.9] sits on the first
        // edge, so bin 1 (10% in reference) gets 100%, the others 0.0001.
        var reference = Enumerable.Range(1, 10).Select(i => (double)i).ToArray();
        var expected = ((1 - 0.1) * Math.Log(1 / 0.1)) + (9 * (0.0001 - 0.1) * Math.Log(0.0001 / 0.1));

        Approx.Relative(expected, PopulationStabilityIndex.FromSamples(reference, [1.9]), 1e-12);
    }

    [Fact]
    public void FromLabels_ShareShift_MatchesHandComputation()
    {
        var reference = Repeat("cat", 50).Concat(Repeat("dog", 50)).ToArray();
        var current = Repeat("cat", 25).Concat(Repeat("dog", 75)).ToArray();
        var expected = ((0.25 - 0.5) * Math.Log(0.5)) + ((0.75 - 0.5) * Math.Log(1.5));

        Approx.Relative(expected, PopulationStabilityIndex.FromLabels(reference, current), 1e-12);
    }

    [Fact]
    public void FromLabels_LabelOnlyInCurrent_GetsEmptyShareInReference()
    {
        var expected = ((0.5 - 1) * Math.Log(0.5)) + ((0.5 - 0.0001) * Math.Log(0.5 / 0.0001));

        Approx.Relative(expected, PopulationStabilityIndex.FromLabels(["a", "a"], ["a", "b"]), 1e-12);
    }

    private static IEnumerable<string> Repeat(string label, int count) => Enumerable.Repeat(label, count);
}
