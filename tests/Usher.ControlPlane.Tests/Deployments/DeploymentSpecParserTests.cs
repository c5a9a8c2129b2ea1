using Usher.ControlPlane.Deployments;

namespace Usher.ControlPlane.Tests.Deployments;

public sealed class DeploymentSpecParserTests
{
    [Fact]
    public void Parse_FullSpec_ReadsEverySetting()
    {
        var result = DeploymentSpecParser.Parse(
            """
            {"endpoint": "fraud", "model": "fraud", "version": 2, "strategy": "canary",
             "canary": {"steps": [10, 50, 100], "interval": "90s"},
             "blue_green": {"rollback_window": "5m", "validation": {"agreement": {"samples": 20, "tolerance": 0.01, "min_agreement": 0.9, "outputs": ["label"]}}},
             "analysis": {"min_requests": 50, "min_predictions": 40, "inconclusive_after": "2m", "max_error_rate": 0.02, "alpha": 0.05,
                          "max_latency_p99_ratio": 2, "max_latency_p50_ratio": 1.5, "max_psi": 0.25}}
            """);

        Assert.Empty(result.Problems);
        var spec = result.Spec!;
        Assert.Equal(("fraud", "fraud", 2L, RolloutStrategy.Canary), (spec.Endpoint, spec.Model, spec.Version, spec.Strategy));
        Assert.Equal([10, 50, 100], spec.Canary.Steps);
        Assert.Equal(TimeSpan.FromSeconds(90), spec.Canary.Interval);
        Assert.Equal(TimeSpan.FromMinutes(5), spec.BlueGreen.RollbackWindow);
        var agreement = spec.BlueGreen.Agreement!;
        Assert.Equal((20, 0.01, 0.9), (agreement.Samples, agreement.Tolerance, agreement.MinAgreement));
        Assert.Equal(["label"], agreement.Outputs!);
        Assert.Equal((50, 40, 0.02, 0.05, 2.0, 1.5, 0.25), (spec.Analysis.MinRequests, spec.Analysis.MinPredictions, spec.Analysis.MaxErrorRate, spec.Analysis.Alpha, spec.Analysis.MaxLatencyP99Ratio, spec.Analysis.MaxLatencyP50Ratio, spec.Analysis.MaxPsi));
        Assert.Equal(TimeSpan.FromMinutes(2), spec.InconclusiveAfter);
    }

    [Fact]
    public void Parse_MinimalSpec_TakesTheDocumentedDefaults()
    {
        var spec = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": 2, "strategy": "blue-green"}""").Spec!;

        Assert.Equal("fraud", spec.Model);
        Assert.Equal([5, 25, 50, 100], spec.Canary.Steps);
        Assert.Equal(TimeSpan.FromSeconds(60), spec.Canary.Interval);
        Assert.Equal(TimeSpan.FromMinutes(10), spec.BlueGreen.RollbackWindow);
        Assert.Equal(new AgreementSpec(), spec.BlueGreen.Agreement);
        Assert.Equal((100, 0.05, 0.2), (spec.Analysis.MinRequests, spec.Analysis.MaxErrorRate, spec.Analysis.MaxPsi));
    }

    [Fact]
    public void Parse_BadSpec_ReportsEveryProblemTogether_EachNamingItsKey()
    {
        var result = DeploymentSpecParser.Parse(
            """
            {"endpoint": "fraud", "version": 0, "strategy": "canery", "stratgy": 1,
             "canary": {"steps": [50, 25, 90], "interval": "soon"},
             "analysis": {"max_error_rate": 1.5, "min_requests": "many"}}
            """);

        Assert.Null(result.Spec);
        var text = string.Join("\n", result.Problems);
        Assert.Contains("version: 0 is below the minimum 1", text, StringComparison.Ordinal);
        Assert.Contains("strategy: unknown strategy 'canery'", text, StringComparison.Ordinal);
        Assert.Contains("stratgy: unknown key (did you mean 'strategy'?)", text, StringComparison.Ordinal);
        Assert.Contains("canary.steps: the last step is 90, expected 100", text, StringComparison.Ordinal);
        Assert.Contains("must be strictly ascending", text, StringComparison.Ordinal);
        Assert.Contains("canary.interval: 'soon' is not a duration", text, StringComparison.Ordinal);
        Assert.Contains("analysis.max_error_rate: 1.5 is out of range", text, StringComparison.Ordinal);
        Assert.Contains("analysis.min_requests: expected an integer", text, StringComparison.Ordinal);
        Assert.True(result.Problems.Count >= 8, text);
    }

    [Fact]
    public void Parse_CanaryOfOnlyOneHundredPercent_IsRefused_PointingToDirect()
    {
        var problems = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [100]}}""").Problems;

        Assert.Contains("use strategy direct", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MinLatencyDelta_IsRead_AndNegativeIsRefused()
    {
        Assert.Equal(2.5, DeploymentSpecParser.Parse("""{"endpoint": "e", "version": 2, "strategy": "canary", "analysis": {"min_latency_delta_ms": 2.5}}""").Spec!.Analysis.MinLatencyDeltaMs);
        Assert.Contains("analysis.min_latency_delta_ms: -1 is out of range", Assert.Single(DeploymentSpecParser.Parse("""{"endpoint": "e", "version": 2, "strategy": "canary", "analysis": {"min_latency_delta_ms": -1}}""").Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RolloutSection_TakesEndpointAndVersionFromTheCaller()
    {
        var spec = DeploymentSpecParser.Parse("""{"strategy": "canary"}""", endpoint: "fraud", version: 3).Spec!;

        Assert.Equal(("fraud", 3L), (spec.Endpoint, spec.Version));
    }

    [Fact]
    public void Parse_MissingRequiredKeys_SaysWhatIsExpected()
    {
        var problems = DeploymentSpecParser.Parse("{}").Problems;

        Assert.Contains(problems, p => p.StartsWith("endpoint: required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("version: required", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("strategy: required", StringComparison.Ordinal));
    }

    [Fact]
    public void Writer_Output_ParsesBackToTheSameSpec()
    {
        var original = DeploymentSpecParser.Parse(
            """{"endpoint": "e", "model": "m", "version": 7, "strategy": "canary", "canary": {"steps": [1, 100], "interval": "2m"}, "blue_green": {"validation": null}}""").Spec!;

        var again = DeploymentSpecParser.Parse(DeploymentSpecWriter.ToJson(original)).Spec!;

        Assert.Equal(original.Canary.Steps, again.Canary.Steps);
        Assert.Equal(original with { Canary = again.Canary }, again);
        Assert.Null(again.BlueGreen.Agreement);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("45", 45)]
    public void Durations_Parse_Units(string text, double seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("-5s")]
    [InlineData("5 days")]
    public void Durations_Parse_RefusesWhatIsNotADuration(string text) => Assert.Null(Durations.Parse(text));
}
