using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Tests.Experiments;

/// <summary>The <c>ab</c> section of a deployment spec: read, checked, written and read back.</summary>
public sealed class ExperimentSpecParsingTests
{
    [Fact]
    public void AbSection_RoundTripsThroughTheWriter_AsTheStoreKeepsIt()
    {
        var spec = DeploymentSpecParser.Parse("""
            {"endpoint": "fraud", "strategy": "bandit", "ab": {"variants": [{"version": 1, "weight": 30}, {"version": 3, "weight": 70}],
             "metric": "revenue", "kind": "continuous", "alpha": 0.01, "min_share": 0.2, "update_interval": "5m"}}
            """).Spec!;

        var again = DeploymentSpecParser.Parse(DeploymentSpecWriter.ToJson(spec)).Spec!;

        Assert.Equal((RolloutStrategy.Bandit, 3L), (again.Strategy, again.Version));
        Assert.Equal([new ExperimentArm(1, 30), new ExperimentArm(3, 70)], again.Ab.Variants);
        Assert.Equal(("revenue", OutcomeKind.Continuous, 0.01, 0.2, TimeSpan.FromMinutes(5)), (again.Ab.Metric, again.Ab.Kind, again.Ab.Alpha, again.Ab.MinShare, again.Ab.UpdateInterval));
    }

    [Theory]
    [InlineData("""{"endpoint": "fraud", "strategy": "ab"}""", "ab: required for strategy ab")]
    [InlineData("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 40}]}}""", "ab.variants: weights add up to 90, expected 100")]
    [InlineData("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 100}]}}""", "ab.variants: an experiment needs at least two arms, got 1")]
    [InlineData("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "kind": "ordinal"}}""", "ab.kind: unknown kind 'ordinal' (expected binary or continuous)")]
    [InlineData("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "metirc": "x"}}""", "ab.metirc: unknown key (did you mean 'metric'?)")]
    public void InvalidAbSections_NameTheKey(string json, string expected)
    {
        var problems = DeploymentSpecParser.Parse(json).Problems;

        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }
}
