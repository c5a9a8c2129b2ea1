using System.Text.Json.Nodes;
using Usher.Cli.Commands;
using Usher.ControlPlane.Deployments;
using Usher.Testing;

namespace Usher.Cli.Tests.Commands;

/// <summary>
/// <c>usher deploy</c>'s spec: the YAML file as the JSON the admin API takes, the flags over it, and the
/// server's parser run offline with each problem pointed at its line or flag.
/// </summary>
public sealed class DeploymentSpecSourceTests
{
    [Fact]
    public void FraudCanarySample_ReadsToTheJsonBodyOfTheContract_AndTheParserAcceptsIt()
    {
        var spec = Read(RepoRoot.Combine("samples", "deployments", "fraud-canary.yaml"));

        AssertJson(
            """
            {"endpoint":"fraud","model":"fraud","version":2,"strategy":"canary",
             "canary":{"steps":[5,25,50,100],"interval":"30s"},
             "analysis":{"min_requests":50,"min_predictions":50,"inconclusive_after":"10m","max_error_rate":0.05,"alpha":0.01,
                         "max_latency_p99_ratio":1.5,"max_latency_p50_ratio":1.25,"min_latency_delta_ms":1,"max_psi":0.2}}
            """,
            spec.Json);
        var (result, messages) = spec.Check();
        Assert.Empty(messages);
        Assert.Equal((TimeSpan.FromSeconds(30), 0.01), (result.Spec!.Canary.Interval, result.Spec.Analysis.Alpha));
    }

    [Fact]
    public void FraudBlueGreenSample_ReadsToTheJsonBodyOfTheContract_AndTheParserAcceptsIt()
    {
        var spec = Read(RepoRoot.Combine("samples", "deployments", "fraud-blue-green.yaml"));

        AssertJson(
            """
            {"endpoint":"fraud","version":1,"strategy":"blue-green",
             "blue_green":{"rollback_window":"10m","validation":{"agreement":{"samples":50,"tolerance":0,"min_agreement":0.9,"outputs":["label"]}}}}
            """,
            spec.Json);
        var (result, messages) = spec.Check();
        Assert.Empty(messages);
        Assert.Equal(new AgreementSpec(50, 0, 0.9, ["label"]).Outputs, result.Spec!.BlueGreen.Agreement!.Outputs);
    }

    [Fact]
    public void FraudShadowSample_TheParserReadsItsGateAndItsCanarySchedule()
    {
        var (result, messages) = Read(RepoRoot.Combine("samples", "deployments", "fraud-shadow.yaml")).Check();

        Assert.Empty(messages);
        Assert.Equal(new ShadowGateSpec(0.95, 1.5, 200), result.Spec!.Shadow.Gate);
        Assert.Equal([25, 100], result.Spec.Canary.Steps);
    }

    [Theory]
    [InlineData("fraud-ab.yaml", RolloutStrategy.Ab)]
    [InlineData("fraud-bandit.yaml", RolloutStrategy.Bandit)]
    public void ExperimentSamples_TheParserAcceptsThem_TheHighestArmIsTheVersion(string file, object strategy)
    {
        // object: a public test method cannot take the control plane's internal RolloutStrategy.
        var (result, messages) = Read(RepoRoot.Combine("samples", "experiments", file)).Check();

        Assert.Empty(messages);
        Assert.Equal((RolloutStrategy)strategy, result.Spec!.Strategy);
        Assert.Equal([1L, 2L], result.Spec.Ab.Variants.Select(v => v.Version));
        Assert.Equal(2, result.Spec.Version);
    }

    [Fact]
    public void Check_ReportsEveryProblemTogether_EachWithItsLine_InTheParsersOrder()
    {
        const string yaml = """
            endpoint: fraud
            version: -2
            stratgy: canary
            canary:
              steps: [5, 250, 100]
              interval: 60
            analysis:
              max_error_rate: 2
              alpha: 0.99
              min_requests: "100"
              max_psi: 0.2
            """;

        var (_, messages) = Parse(yaml, "fraud.yaml").Check();

        Assert.Equal(
            [
                "fraud.yaml line 3: stratgy: unknown key (did you mean 'strategy'?)",
                "fraud.yaml line 2: version: -2 is below the minimum 1",
                "fraud.yaml: strategy: required (one of canary, blue-green, direct, shadow, ab, bandit)",
                "fraud.yaml line 5: canary.steps[1]: 250 is not a weight (expected an integer from 1 to 100)",
                "fraud.yaml line 6: canary.interval: 60 has no unit (expected a duration such as 500ms, 90s, 10m or 1h; e.g. 60s)",
                "fraud.yaml line 10: analysis.min_requests: expected an integer >= 1, got '100'",
                "fraud.yaml line 8: analysis.max_error_rate: 2 is out of range (expected from 0 to 1)",
                "fraud.yaml line 9: analysis.alpha: 0.99 is out of range (expected above 0, up to 0.5); alpha is the significance level, e.g. 0.01, not the confidence 0.99",
            ],
            messages);
    }

    [Theory]
    [InlineData("", "f.yaml: expected one YAML document with the deployment's keys")]
    [InlineData("endpoint: [fraud\n", "f.yaml line 2: not valid YAML: ")]
    public void Parse_NotASpec_SaysWhatIsExpected(string yaml, string expectedStart)
    {
        var problems = new List<string>();

        Assert.Null(DeploymentSpecSource.Parse(yaml, "f.yaml", problems));
        Assert.StartsWith(expectedStart, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_NamesThePath()
    {
        var problems = new List<string>();

        Assert.Null(DeploymentSpecSource.Read("no/such/spec.yaml", problems));
        Assert.StartsWith("no/such/spec.yaml: cannot read the spec file (", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_OverrideTheFilesValues_AndKeepTheRest()
    {
        var spec = Read(RepoRoot.Combine("samples", "deployments", "fraud-canary.yaml"));
        var problems = new List<string>();

        DeployCommand.ApplyFlags(spec, new DeployFlags(Endpoint: "fraud-eu", Version: "3", Steps: "10, 100", Interval: "90s"), problems);
        var (result, messages) = spec.Check();

        Assert.Empty(problems);
        Assert.Empty(messages);
        var parsed = result.Spec!;
        Assert.Equal(("fraud-eu", "fraud", 3L, RolloutStrategy.Canary, TimeSpan.FromSeconds(90)), (parsed.Endpoint, parsed.Model, parsed.Version, parsed.Strategy, parsed.Canary.Interval));
        Assert.Equal([10, 100], parsed.Canary.Steps);
        Assert.Equal(0.05, parsed.Analysis.MaxErrorRate);
    }

    [Fact]
    public void Flags_ProblemsNameTheFlag_ThatGaveTheValue()
    {
        var spec = Parse("endpoint: fraud\nstrategy: canary\ncanary:\n  interval: 30s\n", "f.yaml");
        var problems = new List<string>();

        DeployCommand.ApplyFlags(spec, new DeployFlags(Version: "0", Steps: "5,x", Interval: "1d", Percent: "10%"), problems);
        var (_, messages) = spec.Check();

        Assert.Empty(problems);
        Assert.Equal(
            [
                "--version: version: 0 is below the minimum 1",
                "--percent: shadow: applies only to strategy shadow, not canary; remove the section or set strategy: shadow",
                "--steps: canary.steps[1]: 'x' is not a weight (expected an integer from 1 to 100)",
                "--interval: canary.interval: '1d' is not a duration (expected a duration such as 500ms, 90s, 10m or 1h)",
            ],
            messages);
    }

    [Fact]
    public void PercentFlag_OverridesTheFilesPercent_AndKeepsItsOtherShadowKeys()
    {
        var spec = Parse("endpoint: fraud\nversion: 2\nstrategy: shadow\nshadow: {percent: 100, queue: 10}\n", "s.yaml");

        DeployCommand.ApplyFlags(spec, new DeployFlags(Percent: "10%"), []);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"percent":10,"queue":10}"""), spec.Json["shadow"]), spec.Json.ToJsonString());
        Assert.Equal(new ShadowSpec(10, 10, 1e-4, null), spec.Check().Result.Spec!.Shadow);
    }

    [Theory]
    [InlineData("0", "--percent: shadow.percent: 0 is out of range (expected above 0, up to 100)")]
    [InlineData("101", "--percent: shadow.percent: 101 is out of range (expected above 0, up to 100)")]
    [InlineData("half", "--percent: shadow.percent: expected a number, got 'half'")]
    public void PercentFlag_OutsideZeroToHundred_IsRefused(string percent, string expected)
    {
        var spec = DeploymentSpecSource.Empty();

        DeployCommand.ApplyFlags(spec, new DeployFlags("fraud", "2", "shadow", Percent: percent), []);

        Assert.Equal([expected], spec.Check().Messages);
    }

    [Fact]
    public void VariantsFlag_WithoutVersionWeightPairs_IsRefusedByTheCli()
    {
        var problems = new List<string>();

        DeployCommand.ApplyFlags(DeploymentSpecSource.Empty(), new DeployFlags("fraud", Strategy: "ab", Variants: "1-50,2-50"), problems);

        Assert.Equal(["--variants: expected VERSION:WEIGHT pairs separated by commas, such as 1:50,2:50, got '1-50,2-50'"], problems);
    }

    private static DeploymentSpecSource Read(string path)
    {
        var problems = new List<string>();
        var spec = DeploymentSpecSource.Read(path, problems);
        Assert.Empty(problems);
        return spec!;
    }

    private static DeploymentSpecSource Parse(string yaml, string name)
    {
        var problems = new List<string>();
        var spec = DeploymentSpecSource.Parse(yaml, name, problems);
        Assert.Empty(problems);
        return spec!;
    }

    [Fact]
    public void Check_NotAMapping_TheParserSaysWhatItExpected()
    {
        Assert.Equal(["f.yaml: expected a mapping with endpoint, version and strategy, got a list"], Parse("- fraud\n", "f.yaml").Check().Messages);
    }

    private static void AssertJson(string expected, JsonNode actual)
        => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual.ToJsonString());
}
