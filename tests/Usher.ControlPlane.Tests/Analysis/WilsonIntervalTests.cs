using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class WilsonIntervalTests
{
    [Fact]
    public void Lower_FiveOfTen_MatchesPublishedWilson95()
    {
        // Wilson 95% interval of 5/10 is [0.2366, 0.7634] (Newcombe 1998, table I, method 3).
        Approx.Equal(0.2366, WilsonInterval.Lower(5, 10, 0.95), 5e-5);
    }

    [Fact]
    public void Lower_NoEvents_IsZero() => Assert.Equal(0, WilsonInterval.Lower(0, 50, 0.99));
}
