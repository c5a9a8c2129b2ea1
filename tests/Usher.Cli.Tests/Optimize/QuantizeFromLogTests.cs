using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx.Samples;
using Usher.Cli.Tests.Commands;
using Usher.Core.Models;
using Usher.Core.RequestLogging;
using Usher.Core.Tensors;
using Usher.Server.RequestLogging;
using Usher.Testing;

namespace Usher.Cli.Tests.Optimize;

/// <summary><c>usher optimize quantize --from-log DIR</c> on a copy of the fraud sample.</summary>
public sealed class QuantizeFromLogTests : IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly TempDirectory _logs = new();
    private readonly Usher.Cli.Tests.Admin.FakeAdminHandler _handler = new();

    public QuantizeFromLogTests() => SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);

    public void Dispose()
    {
        _handler.Dispose();
        _repo.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task FromLog_ComparesTheVersionsOnTheLoggedRequests()
    {
        // 40 logged requests of 4 rows each, as the server's Parquet request log writes them.
        var time = new FakeTimeProvider();
        var config = new RequestLoggingConfig { Sample = 1, Path = _logs.Path, Format = RequestLogFormat.Parquet };
        var random = new Random(3);
        await using (var sink = new RequestLogSinkFactory(time).Create("fraud", _logs.Path, config))
        {
            for (var i = 0; i < 40; i++)
            {
                var features = Enumerable.Range(0, 4 * SampleModels.FraudFeatures).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
                await sink.WriteAsync(
                    new RequestLogRecord(time.GetUtcNow(), "fraud", 1, "fraud", "fraud:1", null, null, 0.3,
                        [Tensor.FromSpan<float>("features", DataType.Fp32, [4, SampleModels.FraudFeatures], features)],
                        [Tensor.FromSpan<long>("label", DataType.Int64, [4], [0, 0, 1, 0])]),
                    CancellationToken.None);
            }
        }

        var run = await Run("optimize", "quantize", "fraud", "--version", "1", "--mode", "int8", "--from-log", _logs.Path);

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_repo.Path, "fraud", "3", "quantization.json")));
        var measured = report.RootElement.GetProperty("report");
        Assert.Equal($"request log {_logs.Path} (40 requests)", measured.GetProperty("inputs").GetString());
        Assert.Equal(160, measured.GetProperty("rows").GetInt32());
    }

    [Fact]
    public async Task FromLog_FolderWithoutSamples_IsAnInputError()
    {
        var run = await Run("optimize", "quantize", "fraud", "--version", "1", "--mode", "int8", "--from-log", _logs.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--from-log: {_logs.Path} holds no request log: no .jsonl or .parquet files", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "fraud", "3")));
    }

    [Fact]
    public async Task FromLog_WithCalibration_IsRefused()
    {
        var calibration = _logs.Combine("calibration.json");
        File.WriteAllText(calibration, "{\"inputs\": []}");

        var run = await Run("optimize", "quantize", "fraud", "--version", "1", "--mode", "int8", "--from-log", _logs.Path, "--calibration", calibration);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--calibration and --from-log: give one source of inputs, not both", run.Error, StringComparison.Ordinal);
    }

    private Task<CliRun> Run(params string[] args)
        => CliRun.InvokeAsync(_handler, [.. args, "-m", _repo.Path, "--measure-seconds", "0.05"]);
}
