using System.Text.Json.Nodes;
using Usher.Cli.Commands;
using Usher.Testing;

namespace Usher.Cli.Tests.Commands;

/// <summary>Shadow deployments from the CLI: the sample spec, --percent, and sections that do not fit the strategy.</summary>
public sealed class ShadowDeploySpecTests
{
    [Fact]
    public void FraudShadowSample_ReadsToTheJsonBodyOfTheContract_AndTheServerAcceptsIt()
    {
        var read = DeploymentSpecFile.Read(RepoRoot.Combine("samples", "deployments", "fraud-shadow.yaml"));

        Assert.Empty(read.Problems);
        Assert.Empty(DeploymentSpecValidator.Validate(read.Spec, read.Refused));
        var json = read.Spec.ToJson();
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""
                {"endpoint":"fraud","version":2,"strategy":"shadow","canary":{"steps":[25,100],"interval":"30s"},
                 "shadow":{"queue":1000,"gate":{"min_agreement":0.95,"max_latency_p99_ratio":1.5,"min_samples":200},"percent":100},
                 "analysis":{"min_requests":50,"min_predictions":50}}
                """),
            json),
            json.ToJsonString());
        var parsed = Usher.ControlPlane.Deployments.DeploymentSpecParser.Parse(json.ToJsonString());
        Assert.Empty(parsed.Problems);
        Assert.Equal(new Usher.ControlPlane.Deployments.ShadowGateSpec(0.95, 1.5, 200), parsed.Spec!.Shadow.Gate);
    }

    [Fact]
    public void PercentFlag_OverridesTheFilesPercent_AndKeepsItsOtherShadowKeys()
    {
        var file = DeploymentSpecFile.Parse("endpoint: fraud\nversion: 2\nstrategy: shadow\nshadow: {percent: 100, queue: 10}\n", "s.yaml");
        var flags = DeployCommand.ReadFlags(null, null, null, null, null, null, percent: "10%");

        var spec = file.Spec.OverriddenBy(flags.Spec);

        Assert.Empty(flags.Problems);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"percent":10,"queue":10}"""), spec.ToJson()["shadow"]));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("half")]
    public void PercentFlag_OutsideZeroToHundred_IsRefused(string percent)
    {
        var flags = DeployCommand.ReadFlags("fraud", "2", "shadow", null, null, null, percent);

        Assert.Equal(["--percent: expected a share of requests above 0 and up to 100, such as 10, got '" + percent + "'"], flags.Problems);
    }

    [Fact]
    public void PercentFlag_WithAnotherStrategy_IsRefused_ButCanaryStepsFitAShadow()
    {
        var canary = DeployCommand.ReadFlags("fraud", "2", "canary", null, null, null, "10").Spec;
        var shadow = DeployCommand.ReadFlags("fraud", "2", "shadow", "5,100", "30s", null).Spec;

        Assert.Equal(["shadow (--percent): applies only to strategy shadow, not canary; remove it or use --strategy shadow"], DeploymentSpecValidator.Validate(canary, []));
        Assert.Empty(DeploymentSpecValidator.Validate(shadow, []));
    }
}
