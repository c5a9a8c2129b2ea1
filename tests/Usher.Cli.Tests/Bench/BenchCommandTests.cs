using System.CommandLine;
using System.Text.Json;
using Usher.Cli.Admin;
using Usher.Cli.Commands;
using Usher.Cli.Tests.Commands;

namespace Usher.Cli.Tests.Bench;

/// <summary>
/// <c>usher bench</c> against a real server for about a second per point: REST and gRPC, closed and
/// open loop, every output format. Smoke tests of the load engine, not timed assertions: they check
/// that what is reported is consistent (requests, no errors, ordered percentiles), never how fast.
/// </summary>
public sealed class BenchCommandTests(BenchServerFixture server) : IClassFixture<BenchServerFixture>
{
    private static readonly string[] Short = ["--warmup", "0", "--duration", "1s"];

    [Fact]
    public async Task Bench_RestClosedLoopSweep_ReportsEveryPointWithTheServerSplit()
    {
        var run = await BenchAsync(["bench", "fraud", "--server", server.Http.ToString(), "--concurrency", "1,2", "--output", "json", .. Short]);

        var report = Report(run);
        Assert.Equal("fraud", report.GetProperty("model").GetString());
        Assert.Equal("rest", report.GetProperty("protocol").GetString());
        var runs = report.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([1, 2], runs.Select(r => r.GetProperty("concurrency").GetInt32()));
        foreach (var r in runs)
        {
            Assert.Equal("closed", r.GetProperty("mode").GetString());
            AssertSane(r, run);
            var split = r.GetProperty("server_ms");
            Assert.Equal(r.GetProperty("requests").GetInt64(), split.GetProperty("samples").GetInt64());
            var total = split.GetProperty("total");
            Assert.True(split.GetProperty("compute").GetProperty("p50").GetDouble() <= total.GetProperty("p99").GetDouble(), run.Output);
            Assert.True(split.GetProperty("overhead").GetProperty("p50").GetDouble() <= split.GetProperty("overhead").GetProperty("p99").GetDouble(), run.Output);
        }
    }

    [Fact]
    public async Task Bench_GrpcClosedLoop_AnswersWithoutErrorsAndWithoutAServerSplit()
    {
        var run = await BenchAsync(
            ["bench", "fraud", "--server", server.Http.ToString(), "--grpc-server", server.Grpc.ToString(), "--protocol", "grpc", "-c", "2", "-o", "json", .. Short]);

        var r = Report(run).GetProperty("runs")[0];
        AssertSane(r, run);
        Assert.Equal(JsonValueKind.Null, r.GetProperty("server_ms").ValueKind);
        Assert.Equal(server.Grpc.ToString(), Report(run).GetProperty("url").GetString());
    }

    [Fact]
    public async Task Bench_OpenLoopAtARate_RecordsTheRateAndAnswersWithoutErrors()
    {
        var run = await BenchAsync(["bench", "fraud", "--server", server.Http.ToString(), "--rate", "200", "-o", "json", .. Short]);

        var r = Report(run).GetProperty("runs")[0];
        Assert.Equal("open", r.GetProperty("mode").GetString());
        Assert.Equal(200, r.GetProperty("rate").GetDouble());
        AssertSane(r, run);
    }

    [Fact]
    public async Task Bench_GrpcOpenLoop_AnswersWithoutErrors()
    {
        var run = await BenchAsync(
            ["bench", "fraud", "--server", server.Http.ToString(), "--grpc-server", server.Grpc.ToString(), "-p", "grpc", "--rate", "200", "-c", "512", "-o", "json", .. Short]);

        var r = Report(run).GetProperty("runs")[0];
        Assert.Equal("open", r.GetProperty("mode").GetString());
        Assert.Equal(512, r.GetProperty("concurrency").GetInt32());
        AssertSane(r, run);
    }

    [Fact]
    public async Task Bench_RestBinaryFromAnInputFile_WritesOneCsvRowPerPoint()
    {
        var file = server.Temp.Combine("fraud-request.json");
        var data = string.Join(',', Enumerable.Range(0, 30).Select(i => (i / 30.0).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));
        await File.WriteAllTextAsync(file, $$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[{{data}}]}]}""");

        var run = await BenchAsync(["bench", "fraud", "--server", server.Http.ToString(), "-p", "rest-binary", "--input", file, "-c", "1,2", "-o", "csv", .. Short]);

        Assert.Equal(0, run.ExitCode);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var header = lines[0].Split(',');
        Assert.Equal(BenchReportColumns, header);
        foreach (var line in lines[1..])
        {
            var cells = line.Split(',');
            Assert.Equal(header.Length, cells.Length);
            Assert.Equal("rest-binary", cells[Array.IndexOf(header, "protocol")]);
            Assert.Equal("0", cells[Array.IndexOf(header, "errors")]);
            Assert.True(long.Parse(cells[Array.IndexOf(header, "requests")], System.Globalization.CultureInfo.InvariantCulture) > 0, run.Output);
        }
    }

    [Fact]
    public async Task Bench_Table_NamesThePercentilesAndTheServerSplit()
    {
        var run = await BenchAsync(["bench", "fraud", "--server", server.Http.ToString(), .. Short]);

        Assert.Equal(0, run.ExitCode);
        foreach (var heading in new[] { "req/s", "p50 ms", "p99.9 ms", "errors", "queue", "compute", "overhead" })
        {
            Assert.Contains(heading, run.Output, StringComparison.Ordinal);
        }

        // The progress line is for a terminal only: none in captured stderr.
        Assert.Equal(string.Empty, run.Error);
    }

    [Fact]
    public async Task Bench_UnknownModel_ExitsOneNamingTheModelsUrl()
    {
        var run = await BenchAsync(["bench", "no-such-model", "--server", server.Http.ToString(), .. Short]);

        Assert.Equal(ExitCodes.Failure, run.ExitCode);
        Assert.Contains("/v2/models/no-such-model", run.Error, StringComparison.Ordinal);
        Assert.Contains("404", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rate", "100", "--concurrency", "1,8", "give --concurrency one number")]
    [InlineData("--duration", "0s", "--concurrency", "1", "--duration: expected a duration")]
    [InlineData("--concurrency", "1,x", "--batch", "1", "--concurrency: expected integers >= 1")]
    [InlineData("--rate", "-5", "--batch", "0", "problems, nothing was sent")]
    public async Task Bench_BadFlags_ExitTwoSayingWhatToFix(string flag1, string value1, string flag2, string value2, string expected)
    {
        var run = await BenchAsync(["bench", "fraud", "--server", "http://127.0.0.1:1", flag1, value1, flag2, value2]);

        Assert.Equal(ExitCodes.BadSettings, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchHelp_NamesEveryFlag()
    {
        var run = await BenchAsync(["bench", "--help"]);

        Assert.Equal(0, run.ExitCode);
        foreach (var flag in new[] { "--concurrency", "--rate", "--protocol", "--input", "--batch", "--warmup", "--duration", "--output", "--server", "--grpc-server", "--seed" })
        {
            Assert.Contains(flag, run.Output, StringComparison.Ordinal);
        }
    }

    private static readonly string[] BenchReportColumns = Usher.Cli.Bench.BenchReport.CsvHeader.Split(',');

    private static JsonElement Report(CliRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Output}\n{run.Error}");
        return JsonDocument.Parse(run.Output).RootElement.Clone();
    }

    private static void AssertSane(JsonElement r, CliRun run)
    {
        Assert.True(r.GetProperty("requests").GetInt64() > 0, run.Output);
        Assert.True(r.GetProperty("errors").GetInt64() == 0, $"errors: {r.GetProperty("errors_by_status")}\n{run.Output}");
        Assert.True(r.GetProperty("throughput").GetDouble() > 0, run.Output);
        Assert.True(r.GetProperty("answered").GetInt64() >= r.GetProperty("requests").GetInt64(), run.Output);
        Assert.True(r.GetProperty("client_cpu_us_per_request").GetDouble() > 0, run.Output);
        var l = r.GetProperty("latency_ms");
        double[] ordered = [.. new[] { "p50", "p90", "p99", "p999", "max" }.Select(p => l.GetProperty(p).GetDouble())];
        Assert.True(ordered[0] > 0, run.Output);
        Assert.Equal(ordered.Order(), ordered);
    }

    private static async Task<CliRun> BenchAsync(string[] args)
    {
        var environment = new ClientEnvironment(() => new SocketsHttpHandler(), _ => null, TimeProvider.System);
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var exit = await UsherRootCommand.InvokeAsync(args, new InvocationConfiguration { Output = output, Error = error }, environment);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
}
