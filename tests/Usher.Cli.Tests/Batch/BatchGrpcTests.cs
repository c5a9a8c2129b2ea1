using System.CommandLine;
using System.Globalization;
using Usher.Cli.Commands;
using Usher.Cli.Tests.Bench;
using Usher.Testing;

namespace Usher.Cli.Tests.Batch;

/// <summary><c>usher batch --server URL</c>: the batches go to a real <c>usher serve</c> over gRPC.</summary>
public sealed class BatchGrpcTests(BenchServerFixture server) : IClassFixture<BenchServerFixture>, IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Server_ScoresOverGrpc_SameAnswersAsTheReference()
    {
        var rows = BatchFiles.Features(200);
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), rows, (r, i) => r == 3 && i == 0 ? "bad" : null);
        var output = new StringWriter();
        var error = new StringWriter();

        var exit = await UsherRootCommand.InvokeAsync(
            ["batch", "fraud", "--server", server.Grpc.ToString(), "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv"), "--keep", "id", "--max-error-fraction", "0.1"],
            new InvocationConfiguration { Output = output, Error = error });

        Assert.True(exit == 0, error + server.Transcript);
        Assert.Contains("fraud version 2", output.ToString(), StringComparison.Ordinal);
        var lines = BatchFiles.ReadCsv(_temp.Combine("out.csv"));
        Assert.Equal(200, lines.Length);
        foreach (var line in lines.Skip(1))
        {
            var r = int.Parse(line[0], CultureInfo.InvariantCulture);
            BatchFiles.AssertNear(BatchFiles.Expected(rows[r])[1], double.Parse(line[2], CultureInfo.InvariantCulture));
        }

        Assert.DoesNotContain(lines, l => l[0] == "3");
    }

    [Fact]
    public async Task Server_UnknownModel_Exit2WithTheServersAnswer()
    {
        BatchFiles.WriteCsv(_temp.Combine("in.csv"), BatchFiles.Features(2));
        var error = new StringWriter();

        var exit = await UsherRootCommand.InvokeAsync(
            ["batch", "nosuch", "--server", server.Grpc.ToString(), "-i", _temp.Combine("in.csv"), "-o", _temp.Combine("out.csv")],
            new InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal(ExitCodes.BadSettings, exit);
        Assert.Contains("nosuch", error.ToString(), StringComparison.Ordinal);
    }
}
