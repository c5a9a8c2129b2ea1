using Usher.Cli.Bench;
using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

/// <summary>The profile reads what <c>usher bench --output json</c> writes.</summary>
public sealed class BenchClientTests
{
    [Fact]
    public void Read_TakesTheFirstRunOfBenchsJsonReport()
    {
        var result = new BenchResult(
            "closed", 8, null, 0.5, 2, 4000, 1990.5, 3, new Dictionary<string, long> { ["503"] = 3 },
            new LatencySummary(1.1, 0.9, 1.5, 4.25, 6, 7), null, 4321, 118.5);
        using var json = new StringWriter();
        new BenchReport("fraud", "rest", "http://127.0.0.1:1/v2/models/fraud/infer", 300, [result]).WriteJson(json);

        var run = BenchClient.Read(json.ToString());

        Assert.Equal(new ClientRun(1990.5, 0.9, 4.25, 3, 4321, 118.5), run);
    }

    [Fact]
    public void Read_NothingAnswered_IsNaN()
    {
        var result = new BenchResult(
            "closed", 1, null, 0, 1, 0, 0, 0, new Dictionary<string, long>(),
            new LatencySummary(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN), null, 0, double.NaN);
        using var json = new StringWriter();
        new BenchReport("fraud", "rest", "u", 1, [result]).WriteJson(json);

        var run = BenchClient.Read(json.ToString());

        Assert.True(double.IsNaN(run.P99Ms) && double.IsNaN(run.ClientCpuUsPerRequest));
    }
}
