using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Samples;
using Usher.Cli.Tests.Admin;
using Usher.Cli.Tests.Commands;
using Usher.Core.Models;
using Usher.Core.RequestLogging;
using Usher.Core.Tensors;
using Tensor = Usher.Core.Tensors.Tensor;
using Usher.Server.RequestLogging;
using Usher.Testing;

namespace Usher.Cli.Tests.Optimize;

/// <summary><c>usher optimize distill</c> through the real command tree, the fraud sample as the teacher.</summary>
public sealed class DistillCommandTests : IDisposable
{
    private const int Rows = 2000;
    private readonly TempDirectory _repo = new();
    private readonly FakeAdminHandler _handler = new();
    private readonly string _data;

    public DistillCommandTests()
    {
        SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);
        _data = Path.Combine(_repo.Path, "..", Path.GetFileName(_repo.Path) + "-fraud.csv");
        using var writer = new StreamWriter(_data);
        FraudDataset.WriteCsv(writer, seed: 3, Rows);
    }

    public void Dispose()
    {
        _handler.Dispose();
        _repo.Dispose();
        File.Delete(_data);
    }

    [Fact]
    public async Task Distill_WritesADropInStudentVersion_WithItsReport_AndTheSameSeedGivesTheSameModel()
    {
        var run = await Run("--teacher", "fraud:1", "--data", _data, "--epochs", "6", "--min-agreement", "0.85");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        Assert.Contains("epoch   1/6  loss ", run.Error, StringComparison.Ordinal);
        Assert.Contains("fraud: version 1 (teacher) -> 3 (student mlp:64,32", run.Output, StringComparison.Ordinal);
        var directory = Path.Combine(_repo.Path, "fraud", "3");
        var studentPath = Path.Combine(directory, "model.onnx");
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "distillation.json")));
        var root = report.RootElement;
        Assert.Equal((1, 3, "mlp:64,32"), (root.GetProperty("teacher_version").GetInt32(), root.GetProperty("version").GetInt32(), root.GetProperty("student").GetString()));
        Assert.Equal((30 * 64) + 64 + (64 * 32) + 32 + (32 * 2) + 2, root.GetProperty("student_parameters").GetInt32());
        Assert.Equal((1600, 400), (root.GetProperty("train_rows").GetInt32(), root.GetProperty("held_out_rows").GetInt32()));
        Assert.InRange(root.GetProperty("epochs_run").GetInt32(), 1, 6);
        Assert.Equal(root.GetProperty("epochs_run").GetInt32(), root.GetProperty("epochs").GetArrayLength());
        Assert.Equal(new FileInfo(studentPath).Length, root.GetProperty("bytes").GetProperty("student").GetInt64());
        Assert.Equal(4, root.GetProperty("report").GetProperty("speed").GetProperty("student").GetArrayLength());
        var agreement = root.GetProperty("held_out_agreement").GetDouble();
        Assert.True(agreement >= 0.85, $"agreement {agreement}");

        // Drop-in: the teacher's input and outputs, names and shapes; and its labels agree with the
        // teacher's on fresh rows about as often as on the held-out ones.
        using var teacher = new InferenceSession(SampleModels.ModelPath(_repo.Path, "fraud", 1));
        using var student = new InferenceSession(studentPath);
        Assert.Equal(teacher.InputMetadata.Select(i => (i.Key, string.Join(",", i.Value.Dimensions))), student.InputMetadata.Select(i => (i.Key, string.Join(",", i.Value.Dimensions))));
        Assert.Equal(teacher.OutputMetadata.Select(o => (o.Key, o.Value.ElementDataType, string.Join(",", o.Value.Dimensions))), student.OutputMetadata.Select(o => (o.Key, o.Value.ElementDataType, string.Join(",", o.Value.Dimensions))));
        var (fresh, _) = FraudDataset.Generate(seed: 77, rows: 500);
        var same = Labels(teacher, fresh).Zip(Labels(student, fresh)).Count(p => p.First == p.Second);
        Assert.True(same >= 0.8 * 500, $"{same} of 500 fresh rows agree");

        var again = await Run("--teacher", "fraud:1", "--data", _data, "--epochs", "6", "--to-version", "9");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(await File.ReadAllBytesAsync(studentPath), await File.ReadAllBytesAsync(Path.Combine(_repo.Path, "fraud", "9", "model.onnx")));
    }

    [Fact]
    public async Task MinAgreementNotMet_ExitsFourAndWritesNothing()
    {
        var run = await Run("--teacher", "fraud:1", "--data", _data, "--student", "mlp:1", "--epochs", "1", "--min-agreement", "1");

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("is below --min-agreement 1; version 3 was not written", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "fraud", "3")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_repo.Path, "fraud"), ".*"));
    }

    [Fact]
    public async Task StudentSpecThatDoesNotParse_SaysWhatWasExpected()
    {
        var run = await Run("--teacher", "fraud:1", "--data", _data, "--student", "mlp:64;32");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--student 'mlp:64;32': '64;32' is not a width; expected mlp:H1,H2,... with 1 to 8 hidden layer widths from 1 to 4096 (e.g. mlp:64,32)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TeacherVersionThatDoesNotExist_NamesTheVersionsThereAre()
    {
        var run = await Run("--teacher", "fraud:9", "--data", _data);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--teacher fraud:9: 'fraud' has no 9/model.onnx (versions: 1, 2)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TeacherWithoutAVersion_SaysTheFormat()
    {
        var run = await Run("--teacher", "fraud", "--data", _data);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--teacher 'fraud': expected MODEL:VERSION", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TeacherWhoseOutputsAreNotProbabilities_SaysWhatWasFound()
    {
        // Raw scores (MatMul + Add, no softmax) of the right shape: FP32 [-1,2].
        File.WriteAllBytes(_repo.Combine("raw", "1", "model.onnx"), MlpGraphs.Regressor(MlpWeights.Random(5, 30, 8, 2), "raw"));
        var data = Path.Combine(_repo.Path, "raw.csv");
        await File.WriteAllLinesAsync(data, [string.Join(",", Enumerable.Range(0, 30).Select(i => $"input_{i}")), .. Enumerable.Range(0, 60).Select(r => string.Join(",", Enumerable.Range(0, 30).Select(i => ((r + i) % 7) - 3)))]);

        var run = await Run("--teacher", "raw:1", "--data", data);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--teacher raw:1: teacher output 'output': expected probabilities (each in [0, 1], each row summing to 1: a softmax output), which distillation trains on; row 0 ", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "raw", "2")));
    }

    [Fact]
    public async Task DataWhoseColumnsDoNotMatchTheTeachersInput_NamesTheColumnsExpected()
    {
        var data = Path.Combine(_repo.Path, "wrong.csv");
        await File.WriteAllLinesAsync(data, ["amount,country,hour", "1,2,3"]);

        var run = await Run("--teacher", "fraud:1", "--data", data);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--data wrong.csv: input 'features' FP32 [-1,30]: expected columns features_0 ... features_29, a list column 'features'; the input has columns: amount, country, hour", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromLog_TrainsOnTheLoggedRequestsOfTheTeachersModel()
    {
        // 100 logged requests of 8 rows each, as the server's JSONL request log writes them, and one of another model.
        using var logs = new TempDirectory();
        var time = new FakeTimeProvider();
        var (rows, _) = FraudDataset.Generate(seed: 5, rows: 800);
        var config = new RequestLoggingConfig { Sample = 1, Path = logs.Path, Format = RequestLogFormat.Jsonl };
        await using (var sink = new RequestLogSinkFactory(time).Create("fraud", logs.Path, config))
        {
            for (var i = 0; i < 100; i++)
            {
                await sink.WriteAsync(
                    new RequestLogRecord(time.GetUtcNow(), "fraud", 1, "fraud", "fraud:1", null, null, 0.3,
                        [Tensor.FromSpan<float>("features", DataType.Fp32, [8, 30], rows.AsSpan(i * 8 * 30, 8 * 30))],
                        [Tensor.FromSpan<long>("label", DataType.Int64, [8], new long[8])]),
                    CancellationToken.None);
            }
        }

        var run = await Run("--teacher", "fraud:1", "--from-log", logs.Path, "--epochs", "2");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_repo.Path, "fraud", "3", "distillation.json")));
        Assert.Equal((640, 160), (report.RootElement.GetProperty("train_rows").GetInt32(), report.RootElement.GetProperty("held_out_rows").GetInt32()));
    }

    [Fact]
    public async Task FromLog_FolderWithoutRequestLogs_SaysWhatWasExpected()
    {
        using var logs = new TempDirectory();

        var run = await Run("--teacher", "fraud:1", "--from-log", logs.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--from-log: {logs.Path} holds no request log", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "fraud", "3")));
    }

    [Fact]
    public async Task NeitherDataNorLog_IsRefused()
    {
        var run = await Run("--teacher", "fraud:1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("expected exactly one of --data FILE and --from-log DIR", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SamplesGenerateDataset_WritesLabelledRowsFromTheSeed()
    {
        var first = Path.Combine(_repo.Path, "a.csv");
        var second = Path.Combine(_repo.Path, "b.csv");

        var run = await CliRun.InvokeAsync(_handler, ["samples", "generate", "--dataset", first, "--rows", "50", "--seed", "4"]);
        await CliRun.InvokeAsync(_handler, ["samples", "generate", "--dataset", second, "--rows", "50", "--seed", "4"]);

        Assert.Equal(0, run.ExitCode);
        var lines = await File.ReadAllLinesAsync(first);
        Assert.Equal(51, lines.Length);
        Assert.Equal(string.Join(",", Enumerable.Range(0, 30).Select(i => $"features_{i}")) + ",label", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.Matches("^(-?[0-9.E-]+,){30}[01]$", l));
        Assert.Equal(lines, await File.ReadAllLinesAsync(second));

        // The label follows the documented rule: score > 1.5 up to the noise, so rows far from the
        // threshold are labelled by the rule alone.
        foreach (var line in lines.Skip(1))
        {
            var x = line.Split(',').Take(30).Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var score = 0.0;
            for (var i = 0; i < 10; i++)
            {
                score += (i % 2 == 0 ? 1 : -1) * (1 - (i / 20.0)) * x[i];
            }

            score += (0.8 * x[10] * x[11]) + (0.5 * ((x[12] * x[12]) - 1)) + (0.6 * Math.Max(0, x[13]));
            if (Math.Abs(score - 1.5) > 1.5)
            {
                Assert.Equal(score > 1.5 ? "1" : "0", line[^1..]);
            }
        }
    }

    private Task<CliRun> Run(params string[] args)
        => CliRun.InvokeAsync(_handler, ["optimize", "distill", .. args, "-m", _repo.Path, "--measure-seconds", "0.05"]);

    private static long[] Labels(InferenceSession session, float[] rows)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", new DenseTensor<float>(rows, [rows.Length / 30, 30]))]);
        return [.. results.First(r => r.Name == "label").AsTensor<long>()];
    }
}
