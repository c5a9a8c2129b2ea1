using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class AnalysisSettingsTests
{
    [Fact]
    public void Validate_Defaults_HasNoProblems() => Assert.Empty(new AnalysisSettings().Validate());

    [Fact]
    public void Validate_EverySettingOutOfRange_ReportsEachProblem()
    {
        var settings = new AnalysisSettings
        {
            MinRequests = 0,
            MinPredictions = -1,
            MaxErrorRate = 1.0,
            Alpha = 0,
            MaxLatencyP99Ratio = 1.0,
            MaxLatencyP50Ratio = double.NaN,
            MaxPsi = -0.1,
        };

        var problems = settings.Validate();

        Assert.Equal(7, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("MinRequests must be at least 1, got 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("MaxErrorRate must be within (0, 1), got 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("MaxLatencyP50Ratio must be a ratio above 1", StringComparison.Ordinal));
    }
}
