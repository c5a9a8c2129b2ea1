using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class MannWhitneyUTests
{
    private static readonly double[] Males = [19, 22, 16, 29, 24];
    private static readonly double[] Females = [20, 11, 17, 12];

    [Fact]
    public void TwoSided_MatchesVectorT12()
    {
        var result = MannWhitneyU.Test(Males, Females);

        Assert.Equal(17, result.U);
        Approx.Equal(1.592168, result.Z, 5e-7);
        Approx.Equal(0.1113469, result.PValue, 5e-8);
    }

    [Fact]
    public void Greater_WhenXIsLarger_HalvesTheTwoSidedP()
    {
        var result = MannWhitneyU.Test(Males, Females, Alternative.Greater);

        Approx.Equal(0.1113469 / 2, result.PValue, 5e-8);
    }

    [Fact]
    public void Greater_WhenXIsSmaller_IsFarFromSignificant()
    {
        var result = MannWhitneyU.Test(Females, Males, Alternative.Greater);

        Assert.Equal(3, result.U);
        Assert.True(result.PValue > 0.9, $"p = {result.PValue}");
    }

    [Fact]
    public void Test_WithTies_UsesAverageRanksAndTieCorrection()
    {
        // Pooled [1,2,2,3]: ranks 1, 2.5, 2.5, 4. x = [2,3] has R = 6.5, U = 3.5; μ = 2;
        // σ² = 4/12·(5 − (2³−2)/(4·3)) = 1.5; two-sided z = (3.5 − 2 − 0.5)/√1.5.
        var result = MannWhitneyU.Test([2, 3], [1, 2]);

        Assert.Equal(3.5, result.U);
        Approx.Relative(1 / Math.Sqrt(1.5), result.Z, 1e-12);
    }

    [Fact]
    public void Test_WhenEveryValueTies_GivesPOfOne() =>
        Assert.Equal(1.0, MannWhitneyU.Test([5, 5, 5], [5, 5]).PValue);
}
