using System.Net;
using System.Text.Json.Nodes;
using Usher.Cli.Tests.Admin;

namespace Usher.Cli.Tests.Commands;

/// <summary>The A/B commands through the real command tree against a fake admin API.</summary>
public sealed class ExperimentCommandTests : IDisposable
{
    private const string Report = """
        {"endpoint":"fraud","rollout_id":4,"strategy":"ab","phase":"progressing","metric":"conversion","kind":"binary","alpha":0.05,
         "decision":"winner","winner":2,"summary":"version 2 wins: better than the control","control":1,
         "srm":{"chi_square":0.5,"p_value":0.48,"threshold":0.001,"flagged":false},
         "arms":[{"version":1,"weight":50,"assigned":400,"units":400,"outcomes":400,"mean":0.1,"verdict":"control","why":"the control arm"},
                 {"version":2,"weight":50,"assigned":400,"units":400,"outcomes":400,"mean":0.3,"verdict":"winner","why":"better",
                  "vs_control":{"lift":0.2,"ci_lower":0.15,"ci_upper":0.25,"relative_lift":2,"relative_ci_lower":1,"relative_ci_upper":3,"p_value":1e-12,"sequential_lower":0.12,"sequential_upper":0.28,"sequential_p_value":2e-9}}]}
        """;

    private readonly FakeAdminHandler _handler = new();

    public void Dispose() => _handler.Dispose();

    [Fact]
    public async Task Deploy_AbWithVariantsAndMetric_PostsTheArms_WithoutAVersion()
    {
        _handler.Answer(HttpStatusCode.Created, AdminSamples.CanaryStatus);

        var run = await CliRun.InvokeAsync(_handler, ["deploy", "fraud", "--strategy", "ab", "--variants", "1:50,2:50", "--metric", "clicked"]);

        Assert.Equal(0, run.ExitCode);
        Assert.True(
            JsonNode.DeepEquals(
                JsonNode.Parse("""{"endpoint":"fraud","strategy":"ab","ab":{"variants":[{"version":1,"weight":50},{"version":2,"weight":50}],"metric":"clicked"}}"""),
                JsonNode.Parse(_handler.Single.Body!)),
            _handler.Single.Body);
    }

    [Fact]
    public async Task Deploy_AbWithoutVariants_OrWithBadOnes_SendsNothing()
    {
        var missing = await CliRun.InvokeAsync(_handler, ["deploy", "fraud", "--strategy", "ab"]);
        var bad = await CliRun.InvokeAsync(_handler, ["deploy", "fraud", "--strategy", "bandit", "--variants", "1-50"]);

        Assert.Equal((2, 2), (missing.ExitCode, bad.ExitCode));
        Assert.Contains("ab: required for strategy ab (the arms", missing.Error, StringComparison.Ordinal);
        Assert.Contains("VERSION:WEIGHT", bad.Error, StringComparison.Ordinal);
        Assert.Empty(_handler.Requests);
    }

    [Fact]
    public async Task Results_PrintsTheDecision_TheSrmCheck_AndEachArm()
    {
        _handler.Answer(HttpStatusCode.OK, Report);

        var run = await CliRun.InvokeAsync(_handler, ["experiment", "results", "fraud"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("GET http://127.0.0.1:8000/admin/endpoints/fraud/experiment", $"{_handler.Single.Method} {_handler.Single.Url}");
        Assert.Contains("decision: winner, keep version 2", run.Output, StringComparison.Ordinal);
        Assert.Contains("sample ratio: chi2 0.5, p 0.48 (ok;", run.Output, StringComparison.Ordinal);
        Assert.Contains("[0.12, 0.28]", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_WithVersion_SendsIt()
    {
        _handler.Answer(HttpStatusCode.OK, AdminSamples.CanaryStatus);

        var run = await CliRun.InvokeAsync(_handler, ["rollout", "promote", "fraud", "--version", "1"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("""{"version":1}""", _handler.Single.Body);
    }

    [Fact]
    public async Task Plan_GivesTheSampleSizeOfVectorT6()
    {
        var run = await CliRun.InvokeAsync(_handler, ["experiment", "plan", "--baseline", "0.10", "--mde", "0.02"]);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("3839 units per arm (7678 in all)", run.Output, StringComparison.Ordinal);
    }
}
