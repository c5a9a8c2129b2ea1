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
             "analysis": {"min_requests": 50, "min_predictions": 40, "inconclusive_after": "2m", "max_error_rate": 0.02, "alpha": 0.05,
                          "max_latency_p99_ratio": 2, "max_latency_p50_ratio": 1.5, "max_psi": 0.25}}
            """);
        var blueGreen = DeploymentSpecParser.Parse(
            """
            {"endpoint": "fraud", "version": 2, "strategy": "blue-green",
             "blue_green": {"rollback_window": "5m", "validation": {"agreement": {"samples": 20, "tolerance": 0.01, "min_agreement": 0.9, "outputs": ["label"]}}}}
            """);

        Assert.Empty(result.Problems);
        Assert.Empty(blueGreen.Problems);
        var spec = result.Spec!;
        Assert.Equal(("fraud", "fraud", 2L, RolloutStrategy.Canary), (spec.Endpoint, spec.Model, spec.Version, spec.Strategy));
        Assert.Equal([10, 50, 100], spec.Canary.Steps);
        Assert.Equal(TimeSpan.FromSeconds(90), spec.Canary.Interval);
        Assert.Equal(TimeSpan.FromMinutes(5), blueGreen.Spec!.BlueGreen.RollbackWindow);
        var agreement = blueGreen.Spec.BlueGreen.Agreement!;
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
        Assert.All(result.Errors, e => Assert.StartsWith(e.Path + ": ", e.ToString(), StringComparison.Ordinal));
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
            """{"endpoint": "e", "model": "m", "version": 7, "strategy": "canary", "canary": {"steps": [1, 100], "interval": "2m"}}""").Spec!;
        var blueGreen = DeploymentSpecParser.Parse(
            """{"endpoint": "e", "version": 7, "strategy": "blue-green", "blue_green": {"rollback_window": "1500ms", "validation": null}}""").Spec!;

        var again = DeploymentSpecParser.Parse(DeploymentSpecWriter.ToJson(original)).Spec!;
        var blueGreenAgain = DeploymentSpecParser.Parse(DeploymentSpecWriter.ToJson(blueGreen)).Spec!;

        Assert.Equal(original.Canary.Steps, again.Canary.Steps);
        Assert.Equal(original with { Canary = again.Canary }, again);
        Assert.Equal(blueGreen, blueGreenAgain);
        Assert.Null(blueGreenAgain.BlueGreen.Agreement);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), blueGreenAgain.BlueGreen.RollbackWindow);
    }

    [Fact]
    public void Writer_WritesOnlyTheSectionsTheStrategyReads()
    {
        string Sections(string strategy, string extra = "") => string.Join(",", System.Text.Json.JsonDocument.Parse(DeploymentSpecWriter.ToJson(
            DeploymentSpecParser.Parse($$"""{"endpoint": "e", "version": 2, "strategy": "{{strategy}}"{{extra}}}""").Spec!)).RootElement
            .EnumerateObject().Select(p => p.Name).Where(n => n is "canary" or "blue_green" or "shadow" or "ab" or "analysis"));

        Assert.Equal("canary,analysis", Sections("canary"));
        Assert.Equal("blue_green,analysis", Sections("blue-green"));
        Assert.Equal("analysis", Sections("direct"));
        Assert.Equal("canary,shadow,analysis", Sections("shadow"));
        Assert.Equal("analysis,ab", Sections("ab", """, "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}]}"""));
    }

    [Theory]
    [InlineData("blue-green", "canary", """{"steps": [5, 100]}""", "canary: applies only to strategy canary or shadow, not blue-green; remove the section or set strategy: canary")]
    [InlineData("direct", "blue_green", """{"rollback_window": "10m"}""", "blue_green: applies only to strategy blue-green, not direct; remove the section or set strategy: blue-green")]
    [InlineData("canary", "shadow", """{"percent": 10}""", "shadow: applies only to strategy shadow, not canary; remove the section or set strategy: shadow")]
    [InlineData("canary", "ab", """{"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}]}""", "ab: applies only to strategy ab or bandit, not canary; remove the section or set strategy: ab")]
    public void Parse_SectionOfAnotherStrategy_IsRefused(string strategy, string section, string value, string expected)
    {
        var json = $$"""{"endpoint": "fraud", "version": 2, "strategy": "{{strategy}}", "{{section}}": {{value}}}""";

        Assert.Equal([expected], DeploymentSpecParser.Parse(json).Problems);
        Assert.Empty(DeploymentSpecParser.ParseStored(json).Problems);
    }

    // What the previous server wrote for a blue-green rollout it accepted: every section, a zero
    // rollback window, alpha 0.9. The store must still open; a new spec like it is refused.
    [Fact]
    public void ParseStored_ReadsWhatAnOlderServerAcceptedAndStored()
    {
        const string json = """
            {"endpoint":"fraud","model":"fraud","version":2,"strategy":"blue-green",
             "canary":{"steps":[5,25,50,100],"interval":"1m"},
             "blue_green":{"rollback_window":"0ms","validation":null},
             "shadow":{"percent":100,"queue":1000,"tolerance":0.0001,"gate":null},
             "analysis":{"min_requests":100,"min_predictions":100,"inconclusive_after":"10m","max_error_rate":0.05,"alpha":0.9,
                         "max_latency_p99_ratio":1.5,"max_latency_p50_ratio":1.25,"min_latency_delta_ms":1,"max_psi":0.2}}
            """;

        var stored = DeploymentSpecParser.ParseStored(json);

        Assert.Empty(stored.Problems);
        Assert.Equal((TimeSpan.Zero, 0.9), (stored.Spec!.BlueGreen.RollbackWindow, stored.Spec.Analysis.Alpha));
        Assert.Equal(
            ["canary", "shadow", "blue_green.rollback_window", "analysis.alpha"],
            DeploymentSpecParser.Parse(json).Errors.Select(e => e.Path));
    }

    [Fact]
    public void Parse_ShadowReadsTheCanarySchedule_ForWhenItIsPromoted()
    {
        var spec = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": 2, "strategy": "shadow", "canary": {"steps": [25, 100]}}""").Spec!;

        Assert.Equal([25, 100], spec.Canary.Steps);
    }

    [Theory]
    [InlineData("Blue-Green", "strategy: unknown strategy 'Blue-Green' (did you mean 'blue-green'?)")]
    [InlineData("bluegreen", "strategy: unknown strategy 'bluegreen' (did you mean 'blue-green'?)")]
    [InlineData("canery", "strategy: unknown strategy 'canery' (did you mean 'canary'?)")]
    [InlineData("mirror", "strategy: unknown strategy 'mirror' (expected one of: canary, blue-green, direct, shadow, ab, bandit)")]
    public void Parse_StrategyNames_AreExact_WithTheNearestSuggested(string strategy, string expected)
    {
        Assert.Equal([expected], DeploymentSpecParser.Parse($$"""{"endpoint": "fraud", "version": 2, "strategy": "{{strategy}}"}""").Problems);
    }

    [Theory]
    [InlineData("0.5", "analysis.alpha: 0.5 is out of range")]
    [InlineData("0.99", "analysis.alpha: 0.99 is out of range (expected above 0, up to 0.5); alpha is the significance level, e.g. 0.01, not the confidence 0.99")]
    [InlineData("0", "analysis.alpha: 0 is out of range (expected above 0, up to 0.5)")]
    public void Parse_Alpha_IsASignificanceLevelUpToHalf(string alpha, string expected)
    {
        var problems = DeploymentSpecParser.Parse($$$"""{"endpoint": "fraud", "version": 2, "strategy": "canary", "analysis": {"alpha": {{{alpha}}}}}""").Problems;

        if (alpha == "0.5")
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.StartsWith(expected, Assert.Single(problems), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("90", "canary.interval: 90 has no unit (expected a duration such as 500ms, 90s, 10m or 1h; e.g. 90s)")]
    [InlineData("\"90\"", "canary.interval: '90' is not a duration (expected a duration such as 500ms, 90s, 10m or 1h)")]
    [InlineData("\"0s\"", "canary.interval: '0s' is not above zero (expected a duration such as 500ms, 90s, 10m or 1h)")]
    [InlineData("\"500ms\"", "canary.interval: 500ms is too short (at least 1s)")]
    public void Parse_Durations_NeedAUnitAndMustBeAboveZero(string interval, string expected)
    {
        var problems = DeploymentSpecParser.Parse($$$"""{"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"interval": {{{interval}}}}}""").Problems;

        Assert.Equal([expected], problems);
    }

    [Fact]
    public void Parse_QuotedNumber_IsNotAnInteger()
    {
        Assert.Equal(["version: expected an integer >= 1, got '2'"], DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": "2", "strategy": "direct"}""").Problems);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1.5h", 5400)]
    [InlineData("0s", 0)]
    public void Durations_Parse_Units(string text, double seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("-5s")]
    [InlineData("5 days")]
    [InlineData("45")]
    [InlineData("s")]
    [InlineData("1e3ms")]
    public void Durations_Parse_RefusesWhatIsNotADuration(string text) => Assert.Null(Durations.Parse(text));
}
