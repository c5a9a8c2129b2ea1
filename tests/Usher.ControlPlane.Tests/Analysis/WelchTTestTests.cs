using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class WelchTTestTests
{
    private static readonly double[] A = [12.1, 11.8, 13.4, 12.9, 12.2, 11.5, 12.7, 13.0];
    private static readonly double[] B = [13.2, 12.8, 14.1, 13.9, 12.6, 13.7, 14.4, 13.1, 12.9, 14.0];

    [Fact]
    public void Test_MatchesVectorT2()
    {
        var result = WelchTTest.Test(A, B);

        Approx.Equal(12.45, result.MeanA, 1e-9);
        Approx.Equal(13.47, result.MeanB, 1e-9);
        Approx.Equal(0.425714, result.VarianceA, 5e-7);
        Approx.Equal(0.391222, result.VarianceB, 5e-7);
        Approx.Equal(0.303869, result.StandardError, 5e-7);
        Approx.Equal(14.83825, result.DegreesOfFreedom, 5e-6);
        Approx.Equal(3.356707, result.T, 5e-7);
        Approx.Equal(0.0043817, result.PValue, 5e-8);
        Approx.Equal(0.371703, result.CiLower, 5e-7);
        Approx.Equal(1.668297, result.CiUpper, 5e-7);
    }

    [Fact]
    public void Test_WithOneValue_Throws() => Assert.Throws<ArgumentException>(() => WelchTTest.Test([1.0], B));
}
