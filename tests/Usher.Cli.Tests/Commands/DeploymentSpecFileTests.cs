using System.Text.Json.Nodes;
using Usher.Cli.Commands;
using Usher.Testing;

namespace Usher.Cli.Tests.Commands;

/// <summary>Reading deployment spec files: the samples, every problem together, flags over the file.</summary>
public sealed class DeploymentSpecFileTests
{
    [Fact]
    public void FraudCanarySample_ReadsToTheJsonBodyOfTheContract()
    {
        var read = DeploymentSpecFile.Read(RepoRoot.Combine("samples", "deployments", "fraud-canary.yaml"));

        Assert.Empty(read.Problems);
        Assert.Empty(DeploymentSpecValidator.Validate(read.Spec, read.Refused));
        AssertJson(
            """
            {"endpoint":"fraud","model":"fraud","version":2,"strategy":"canary",
             "canary":{"steps":[5,25,50,100],"interval":"30s"},
             "analysis":{"min_requests":50,"min_predictions":50,"inconclusive_after":"10m","max_error_rate":0.05,"alpha":0.01,
                         "max_latency_p99_ratio":1.5,"max_latency_p50_ratio":1.25,"min_latency_delta_ms":1,"max_psi":0.2}}
            """,
            read.Spec.ToJson());
        Assert.Empty(Usher.ControlPlane.Deployments.DeploymentSpecParser.Parse(read.Spec.ToJson().ToJsonString()).Problems);
    }

    [Fact]
    public void FraudBlueGreenSample_ReadsToTheJsonBodyOfTheContract()
    {
        var read = DeploymentSpecFile.Read(RepoRoot.Combine("samples", "deployments", "fraud-blue-green.yaml"));

        Assert.Empty(read.Problems);
        Assert.Empty(DeploymentSpecValidator.Validate(read.Spec, read.Refused));
        AssertJson(
            """
            {"endpoint":"fraud","version":1,"strategy":"blue-green",
             "blue_green":{"rollback_window":"10m","validation":{"agreement":{"samples":50,"tolerance":0,"min_agreement":0.9,"outputs":["label"]}}}}
            """,
            read.Spec.ToJson());
        Assert.Empty(Usher.ControlPlane.Deployments.DeploymentSpecParser.Parse(read.Spec.ToJson().ToJsonString()).Problems);
    }

    [Fact]
    public void Parse_ReportsEveryProblemTogether_InFileOrder_WithPathsAndSuggestions()
    {
        const string yaml = """
            endpoint: fraud
            version: -2
            stratgy: canary
            canary:
              steps: [5, 250, 100]
              interval: 60
            blue_green:
              rollback_window: soon
            analysis:
              max_error_rate: 2
              alpha: 0
              min_requests: "100"
              max_psi: 0.2
            """;

        var read = DeploymentSpecFile.Parse(yaml, "fraud.yaml");

        Assert.Equal(
            [
                "fraud.yaml: version: expected a positive integer, got '-2'",
                "fraud.yaml: stratgy: unknown key (did you mean 'strategy'?)",
                "fraud.yaml: canary.steps[1]: expected an integer from 1 to 100, got '250'",
                "fraud.yaml: canary.interval: expected a duration such as 500ms, 90s, 10m or 1h, got '60'",
                "fraud.yaml: blue_green.rollback_window: expected a duration such as 500ms, 90s, 10m or 1h, got 'soon'",
                "fraud.yaml: analysis.max_error_rate: expected a number from 0 to 1, got '2'",
                "fraud.yaml: analysis.alpha: expected a number above 0 to 0.5, got '0'; alpha is the significance level, e.g. 0.01, not the confidence 0.99",
                "fraud.yaml: analysis.min_requests: expected a positive integer, got the quoted text '100'",
            ],
            read.Problems);
        Assert.Equal(0.2, read.Spec.Analysis!["max_psi"]!.GetValue<double>());
    }

    [Fact]
    public void Validate_AfterFileProblems_DoesNotBlameTheRefusedKeysAgain()
    {
        var read = DeploymentSpecFile.Parse("endpoint: fraud\nversion: two\nstrategy: canary\ncanary: {steps: [5, 0, 100]}\n", "f.yaml");

        Assert.Equal(2, read.Problems.Count);
        Assert.Empty(DeploymentSpecValidator.Validate(read.Spec, read.Refused));
    }

    [Theory]
    [InlineData("", "f.yaml: expected one YAML document with the deployment's keys (endpoint, model, version, strategy, canary, blue_green, shadow, analysis, ab)")]
    [InlineData("- fraud\n", "f.yaml line 1: expected a mapping, got a list")]
    [InlineData("endpoint: [fraud\n", "f.yaml line 2: not valid YAML: ")]
    public void Parse_NotASpec_SaysWhatIsExpected(string yaml, string expectedStart)
    {
        var problem = Assert.Single(DeploymentSpecFile.Parse(yaml, "f.yaml").Problems);

        Assert.StartsWith(expectedStart, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_NamesThePath()
    {
        var problem = Assert.Single(DeploymentSpecFile.Read("no/such/spec.yaml").Problems);

        Assert.StartsWith("no/such/spec.yaml: cannot read the spec file (", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_OverrideTheFilesValues_AndKeepTheRest()
    {
        var file = DeploymentSpecFile.Read(RepoRoot.Combine("samples", "deployments", "fraud-canary.yaml"));
        var flags = DeployCommand.ReadFlags(endpoint: "fraud-eu", version: "3", strategy: null, steps: "10, 100", interval: "90s", rollbackWindow: null);

        var spec = file.Spec.OverriddenBy(flags.Spec);

        Assert.Empty(flags.Problems);
        Assert.Equal(("fraud-eu", "fraud", 3L, "canary", "90s"), (spec.Endpoint, spec.Model, spec.Version, spec.Strategy, spec.Interval));
        Assert.Equal([10L, 100L], spec.Steps);
        Assert.Equal(0.05, spec.Analysis!["max_error_rate"]!.GetValue<double>());
    }

    [Fact]
    public void Flags_EachRefusedFlagIsNamed_AndItsKeyIsNotBlamedAsMissing()
    {
        var flags = DeployCommand.ReadFlags(endpoint: "fraud", version: "0", strategy: "canary", steps: "5,x", interval: "1d", rollbackWindow: null);

        Assert.Equal(
            [
                "--version: expected a positive integer, got '0'",
                "--steps: expected weights in percent separated by commas, such as 5,25,50,100, got '5,x'",
                "--interval: expected a duration such as 500ms, 90s, 10m or 1h, got '1d'",
            ],
            flags.Problems);
        Assert.Empty(DeploymentSpecValidator.Validate(flags.Spec, flags.Refused));
    }

    private static void AssertJson(string expected, JsonObject actual)
        => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual.ToJsonString());
}
