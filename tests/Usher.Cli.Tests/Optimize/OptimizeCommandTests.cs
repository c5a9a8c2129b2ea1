using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Samples;
using Usher.Cli.Tests.Admin;
using Usher.Cli.Tests.Commands;
using Usher.Testing;

namespace Usher.Cli.Tests.Optimize;

/// <summary><c>usher optimize quantize</c> through the real command tree on a temporary copy of the fraud sample.</summary>
public sealed class OptimizeCommandTests : IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly FakeAdminHandler _handler = new();

    public OptimizeCommandTests() => SampleRepository.CopySample(_repo.Path, SampleModels.FraudName);

    public void Dispose()
    {
        _handler.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task QuantizeInt8_WritesTheNextVersionWithItsReport()
    {
        var run = await Run("optimize", "quantize", "fraud", "--version", "1", "--mode", "int8", "--min-agreement", "0.99");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        var directory = Path.Combine(_repo.Path, "fraud", "3");
        Assert.True(File.Exists(Path.Combine(directory, "model.onnx")));
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "quantization.json")));
        var root = report.RootElement;
        Assert.Equal((1, 3, "int8"), (root.GetProperty("source_version").GetInt32(), root.GetProperty("version").GetInt32(), root.GetProperty("mode").GetString()));
        Assert.Equal(2, root.GetProperty("ops_changed").GetArrayLength());
        Assert.Equal(1, root.GetProperty("ops_kept").GetProperty("Softmax").GetInt32());
        var original = new FileInfo(SampleModels.ModelPath(_repo.Path, "fraud", 1)).Length;
        Assert.Equal(original, root.GetProperty("bytes").GetProperty("original").GetInt64());
        Assert.Equal(new FileInfo(Path.Combine(directory, "model.onnx")).Length, root.GetProperty("bytes").GetProperty("quantized").GetInt64());
        Assert.True(root.GetProperty("report").GetProperty("top1_agreement").GetDouble() >= 0.99);
        Assert.Equal(4, root.GetProperty("report").GetProperty("speed").GetProperty("quantized").GetArrayLength());
        Assert.Contains("fraud: version 1 -> 3 (INT8", run.Output, StringComparison.Ordinal);
        Assert.Contains("probabilities", run.Output, StringComparison.Ordinal);

        // The new version answers like version 1 on a row ONNX Runtime scores directly.
        float[] row = [.. Enumerable.Range(0, SampleModels.FraudFeatures).Select(i => (float)Math.Sin(i))];
        Assert.Equal(Label(SampleModels.ModelPath(_repo.Path, "fraud", 1), row), Label(Path.Combine(directory, "model.onnx"), row));
    }

    [Fact]
    public async Task QuantizeFp16_ToVersion_HalvesTheWeights()
    {
        var run = await Run("optimize", "quantize", "fraud", "--version", "2", "--mode", "fp16", "--to-version", "7", "--output", "json");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        var json = run.Output[..(run.Output.LastIndexOf('}') + 1)];
        var record = JsonNode.Parse(json)!;
        Assert.Equal(("fp16", 7), ((string)record["mode"]!, (int)record["version"]!));
        Assert.Equal(3, (int)record["initializers_converted"]!); // W0 (30x16), W1 (16x2) and b0 (16); b1 has 2 elements
        Assert.True(File.Exists(Path.Combine(_repo.Path, "fraud", "7", "model.onnx")));
    }

    [Fact]
    public async Task MinAgreementNotMet_ExitsFourAndWritesNothing()
    {
        // A regression model has no classifier output, so any --min-agreement fails on it.
        File.WriteAllBytes(_repo.Combine("wide", "1", "model.onnx"), TinyRegressor());

        var run = await Run("optimize", "quantize", "wide", "--version", "1", "--mode", "int8", "--min-agreement", "0.5", "--measure-seconds", "0.05");

        Assert.Equal(4, run.ExitCode);
        Assert.Contains("top-1 agreement not measured", run.Error, StringComparison.Ordinal);
        Assert.Contains("version 2 was not written", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_repo.Path, "wide", "2")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_repo.Path, "wide"), ".*"));
    }

    [Fact]
    public async Task BadVersion_NamesTheVersionsThereAre()
    {
        var run = await Run("optimize", "quantize", "fraud", "--version", "9", "--mode", "int8");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--version 9: 'fraud' has no 9/model.onnx (versions: 1, 2)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExistingTargetVersion_IsRefused()
    {
        var run = await Run("optimize", "quantize", "fraud", "--version", "1", "--mode", "int8", "--to-version", "2");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--to-version 2:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeployShadow_PostsTheNewVersionToTheAdminApi()
    {
        _handler.Answer(HttpStatusCode.Created, AdminSamples.CanaryStatus);

        var run = await Run("optimize", "quantize", "fraud", "--version", "1", "--mode", "int8", "--deploy", "shadow", "--server", "http://usher.test:9000", "--token", "t0k");

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        var request = _handler.Single;
        Assert.Equal(("POST", "http://usher.test:9000/admin/deployments", "Bearer t0k"), (request.Method, request.Url, request.Authorization));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"endpoint":"fraud","version":3,"strategy":"shadow"}"""), JsonNode.Parse(request.Body!)), request.Body);
    }

    private Task<CliRun> Run(params string[] args)
        => CliRun.InvokeAsync(_handler, [.. args, .. args.Contains("-m") ? Array.Empty<string>() : ["-m", _repo.Path], .. args.Contains("--measure-seconds") ? Array.Empty<string>() : ["--measure-seconds", "0.05"]]);

    private static long Label(string model, float[] row)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("features", new DenseTensor<float>(row, [1, row.Length]))]);
        return results.First(r => r.Name == "label").AsTensor<long>()[0];
    }

    // y = x · W, W [4, 1]: an output with one column, so no top-1 agreement.
    private static byte[] TinyRegressor() => new Usher.Backends.Onnx.Format.OnnxModelBuilder()
        .AddInput("x", Usher.Core.Tensors.DataType.Fp32, [-1, 4], ["batch", null])
        .AddOutput("y", Usher.Core.Tensors.DataType.Fp32, [-1, 1], ["batch", null])
        .AddInitializer("W", [4, 1], [0.5f, -0.25f, 1f, 2f])
        .AddNode("MatMul", ["x", "W"], ["y"])
        .Build();
}
