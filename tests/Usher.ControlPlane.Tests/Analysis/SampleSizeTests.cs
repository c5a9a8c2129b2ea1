using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class SampleSizeTests
{
    [Fact]
    public void ForProportions_MatchesVectorT6() => Assert.Equal(3839, SampleSize.ForProportions(0.10, 0.12));

    [Fact]
    public void ForMeans_MatchesVectorT7() => Assert.Equal(1570, SampleSize.ForMeans(1.0, 0.1));

    [Fact]
    public void ForProportions_EqualRates_Throws() =>
        Assert.Throws<ArgumentException>(() => SampleSize.ForProportions(0.1, 0.1));
}
