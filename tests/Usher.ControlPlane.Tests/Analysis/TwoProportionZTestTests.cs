using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class TwoProportionZTestTests
{
    [Fact]
    public void TwoSided_MatchesVectorT1()
    {
        var result = TwoProportionZTest.Test(200, 2000, 250, 2000);

        Approx.Equal(0.10, result.RateA, 1e-12);
        Approx.Equal(0.125, result.RateB, 1e-12);
        Approx.Equal(2.501955, result.Z, 5e-7);
        Approx.Equal(0.012351, result.PValue, 5e-7);
        Approx.Equal(0.005431, result.CiLower, 5e-7);
        Approx.Equal(0.044569, result.CiUpper, 5e-7);
    }

    [Fact]
    public void Greater_WhenBIsHigher_HalvesTheTwoSidedP()
    {
        var result = TwoProportionZTest.Test(200, 2000, 250, 2000, Alternative.Greater);

        Approx.Equal(0.012351 / 2, result.PValue, 5e-7);
    }

    [Fact]
    public void Greater_WhenBIsLower_IsNotSignificant()
    {
        var result = TwoProportionZTest.Test(250, 2000, 200, 2000, Alternative.Greater);

        Approx.Equal(1 - (0.012351 / 2), result.PValue, 5e-7);
    }

    [Fact]
    public void Test_WhenNeitherHasEvents_GivesZeroZAndPOfOne()
    {
        var result = TwoProportionZTest.Test(0, 100, 0, 100, Alternative.Greater);

        Assert.Equal(0, result.Z);
        Assert.Equal(1, result.PValue);
    }

    [Fact]
    public void Test_WhenSuccessesExceedTrials_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TwoProportionZTest.Test(5, 4, 1, 10));
}
