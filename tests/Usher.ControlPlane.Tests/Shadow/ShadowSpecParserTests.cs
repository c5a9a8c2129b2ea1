using Usher.ControlPlane.Deployments;

namespace Usher.ControlPlane.Tests.Shadow;

public sealed class ShadowSpecParserTests
{
    [Fact]
    public void ShadowSection_RoundTripsThroughTheWriter()
    {
        var parsed = DeploymentSpecParser.Parse("""
            {"endpoint": "fraud", "version": 2, "strategy": "shadow",
             "shadow": {"percent": 12.5, "queue": 64, "tolerance": 0.001, "gate": {"min_samples": 300, "min_agreement": 0.97}}}
            """);

        Assert.Empty(parsed.Problems);
        var spec = parsed.Spec!;
        Assert.Equal((RolloutStrategy.Shadow, new ShadowSpec(12.5, 64, 0.001, new ShadowGateSpec(0.97, 1.5, 300))), (spec.Strategy, spec.Shadow));
        Assert.Equal(spec.Shadow, DeploymentSpecParser.Parse(DeploymentSpecWriter.ToJson(spec)).Spec!.Shadow);
    }

    [Fact]
    public void ShadowSection_ReportsEveryProblem_NamingTheKey()
    {
        var parsed = DeploymentSpecParser.Parse("""
            {"endpoint": "fraud", "version": 2, "strategy": "shadow",
             "shadow": {"percent": 0, "queue": 0, "gate": {"min_agrement": 0.9, "max_latency_p99_ratio": 0.5}}}
            """);

        Assert.Equal(
            [
                "shadow.gate.min_agrement: unknown key (did you mean 'min_agreement'?)",
                "shadow.gate.max_latency_p99_ratio: 0.5 is out of range (expected >= 1)",
                "shadow.percent: 0 is out of range (expected above 0, up to 100)",
                "shadow.queue: 0 is below the minimum 1",
            ],
            parsed.Problems);
    }
}
