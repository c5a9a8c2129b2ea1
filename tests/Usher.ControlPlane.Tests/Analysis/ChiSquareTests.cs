using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class ChiSquareTests
{
    [Fact]
    public void GoodnessOfFit_EqualWeights_MatchesVectorT8()
    {
        var result = ChiSquareGoodnessOfFit.Test([16, 18, 16, 14, 12, 12], [1, 1, 1, 1, 1, 1]);

        Approx.Relative(2.0, result.Statistic, 1e-12);
        Assert.Equal(5, result.DegreesOfFreedom);
        Approx.Relative(0.8491450360846096, result.PValue, 1e-9);
    }

    [Fact]
    public void GoodnessOfFit_UnequalWeights_MatchesVectorT9()
    {
        var result = ChiSquareGoodnessOfFit.Test([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);

        Approx.Relative(3.5, result.Statistic, 1e-12);
        Approx.Relative(0.6233876277495822, result.PValue, 1e-9);
    }

    [Fact]
    public void GoodnessOfFit_SampleRatioMismatch_MatchesVectorT10()
    {
        var result = ChiSquareGoodnessOfFit.Test([50500, 49500], [0.5, 0.5]);

        Approx.Relative(10.0, result.Statistic, 1e-12);
        Approx.Equal(0.0015654, result.PValue, 5e-8);
    }

    [Fact]
    public void GoodnessOfFit_BalancedSplit_MatchesVectorT11()
    {
        var result = ChiSquareGoodnessOfFit.Test([5020, 4980], [50, 50]);

        Approx.Relative(0.16, result.Statistic, 1e-12);
        Approx.Equal(0.68916, result.PValue, 5e-6);
    }

    [Fact]
    public void GoodnessOfFit_NoObservations_GivesPOfOne() =>
        Assert.Equal(1.0, ChiSquareGoodnessOfFit.Test([0, 0], [1, 1]).PValue);

    [Fact]
    public void Homogeneity_TwoByThree_MatchesHandComputation()
    {
        // Row totals 60/60, column totals 30/40/50: expected 15/20/25 in both rows, so
        // χ² = 2·(25/15 + 0 + 25/25) = 16/3; with df = 2 the χ² tail is exactly exp(−χ²/2).
        var result = ChiSquareHomogeneity.Test([10, 20, 30], [20, 20, 20]);

        Approx.Relative(16.0 / 3, result.Statistic, 1e-12);
        Assert.Equal(2, result.DegreesOfFreedom);
        Approx.Relative(Math.Exp(-8.0 / 3), result.PValue, 1e-9);
    }
}
