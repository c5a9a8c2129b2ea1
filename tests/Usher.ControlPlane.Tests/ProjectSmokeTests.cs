namespace Usher.ControlPlane.Tests;

public sealed class ProjectSmokeTests
{
    [Fact]
    public void ControlPlaneAssembly_Loads() => Assert.Equal("Usher.ControlPlane", typeof(Usher.ControlPlane.Analysis.AnalysisNamespace).Assembly.GetName().Name);
}
