using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class PercentileTests
{
    [Theory]
    [InlineData(new double[] { 15, 20, 35, 40, 50 }, 40, 29.0)]   // numpy: np.percentile([15,20,35,40,50], 40)
    [InlineData(new double[] { 10, 7, 4, 3, 2, 1 }, 50, 3.5)]     // numpy docs: np.percentile([[10,7,4],[3,2,1]], 50)
    [InlineData(new double[] { 4, 1, 3, 2 }, 50, 2.5)]
    [InlineData(new double[] { 4, 1, 3, 2 }, 0, 1.0)]
    [InlineData(new double[] { 4, 1, 3, 2 }, 100, 4.0)]
    [InlineData(new double[] { 7 }, 99, 7.0)]
    public void Of_InterpolatesLinearlyAsNumpy(double[] values, double percent, double expected) =>
        Approx.Relative(expected, Percentile.Of(values, percent), 1e-12);

    [Fact]
    public void Of_Empty_Throws() => Assert.Throws<ArgumentException>(() => Percentile.Of([], 50));
}
