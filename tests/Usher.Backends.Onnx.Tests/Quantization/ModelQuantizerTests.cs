using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Format;
using Usher.Backends.Onnx.Quantization;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Backends.Onnx.Tests.Quantization;

public sealed class ModelQuantizerTests : IDisposable
{
    private static readonly ComparisonSettings Quick = new(AccuracyRows: 1024, TimePerPoint: TimeSpan.FromMilliseconds(50), Batches: [1, 64]);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("Fused")]
    [InlineData("Portable")]
    public void Int8_OneMatMul_MatchesIntegerArithmeticDoneByHand(string kernelName)
    {
        var kernel = Enum.Parse<Int8Kernel>(kernelName);
        // x [2, 3] · W [3, 2]. The expected result is computed here from the operators' definitions:
        // x quantized per tensor to uint8 (DynamicQuantizeLinear), W per column to int8 (full range:
        // values this small cannot saturate), an integer product, then scaled back.
        float[] w = [0.5f, -1f, 0.25f, 2f, -0.75f, 0.5f];
        float[] x = [0.3f, -0.6f, 0.9f, 1.2f, 0f, -0.45f];
        var model = new OnnxModelBuilder()
            .AddInput("x", DataType.Fp32, [-1, 3], ["batch", null])
            .AddOutput("y", DataType.Fp32, [-1, 2], ["batch", null])
            .AddInitializer("W", [3, 2], w)
            .AddNode("MatMul", ["x", "W"], ["y"])
            .Build();

        Assert.True(ModelQuantizer.TryQuantize(model, new QuantizationOptions(QuantizationMode.Int8, kernel, ReduceRange: false), out var result, out var error), error);
        var actual = Run(result!.Bytes, "x", x, [2, 3], "y");

        // DynamicQuantizeLinear: range widened to include 0, scale (max - min) / 255, zero point round(-min / scale).
        var (min, max) = (Math.Min(0, x.Min()), Math.Max(0, x.Max()));
        var xScale = (max - min) / 255f;
        var xZero = (int)Math.Round(-min / xScale, MidpointRounding.ToEven);
        var xq = x.Select(v => Math.Clamp((int)Math.Round(v / xScale, MidpointRounding.ToEven) + xZero, 0, 255)).ToArray();
        float[] wScale = [0.75f / 127, 2f / 127];
        var expected = new float[4];
        for (var r = 0; r < 2; r++)
        {
            for (var c = 0; c < 2; c++)
            {
                var sum = 0;
                for (var k = 0; k < 3; k++)
                {
                    var wq = (int)Math.Round(w[(k * 2) + c] / wScale[c], MidpointRounding.ToEven);
                    sum += (xq[(r * 3) + k] - xZero) * wq;
                }

                expected[(r * 2) + c] = sum * xScale * wScale[c];
            }
        }

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5);
        }

        Assert.Equal("MatMul", Assert.Single(result.Changed).OpType);
    }

    [Fact]
    public void Int8_Fraud_AgreesWithTheOriginalOnTop1()
    {
        var original = Write("fraud.onnx", SampleModels.BuildFraud(1));

        Assert.True(ModelQuantizer.TryQuantize(original, new QuantizationOptions(QuantizationMode.Int8), out var result, out var error), error);
        var quantized = Write("fraud-int8.onnx", result!.Bytes);
        Assert.True(ModelComparison.TryCompare(original, quantized, Quick, null, null, out var report, out error), error);

        Assert.Equal(["Gemm", "Gemm"], result.Changed.Select(c => c.OpType));
        Assert.Equal(1, result.Kept["Softmax"]);
        Assert.False(result.Kept.ContainsKey("Gemm"));
        Assert.True(report!.Top1Agreement >= 0.99, $"top-1 agreement {report.Top1Agreement}");
        Assert.Equal(1024, report.Rows);
        Assert.Equal([1, 64], report.Quantized.Select(p => p.Batch));
    }

    [Theory]
    [InlineData(null, "the quantized model")]
    [InlineData("the student model", "the student model")]
    public void ACandidateThatDoesNotLoad_IsNamedAsTheCallerCallsIt(string? candidate, string named)
    {
        var original = Write("fraud.onnx", SampleModels.BuildFraud(1));
        var broken = Write("broken.onnx", [1, 2, 3]);
        var settings = candidate is null ? Quick : Quick with { Candidate = candidate };

        Assert.False(ModelComparison.TryCompare(original, broken, settings, null, null, out _, out var error));
        Assert.StartsWith(named, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Int8_MlpLarge_RelativeL2WithinTwoPercent()
    {
        var original = Write("large.onnx", SampleModels.BuildLarge());

        Assert.True(ModelQuantizer.TryQuantize(original, new QuantizationOptions(QuantizationMode.Int8), out var result, out var error), error);
        var quantized = Write("large-int8.onnx", result!.Bytes);
        Assert.True(ModelComparison.TryCompare(original, quantized, Quick with { AccuracyRows = 256 }, null, null, out var report, out error), error);

        var output = Assert.Single(report!.Outputs);
        Assert.True(output.RelativeL2 <= 0.02, $"relative L2 {output.RelativeL2}");
        Assert.Equal(3, result.Changed.Count);
        // int8 weights: a quarter of the FP32 bytes, plus scales.
        Assert.InRange(result.Bytes.Length, new FileInfo(original).Length / 4, (new FileInfo(original).Length / 4) + 64 * 1024);
    }

    [Fact]
    public void Fp16_MlpLarge_HalvesTheFileAndStaysClose()
    {
        var original = Write("large.onnx", SampleModels.BuildLarge());

        Assert.True(ModelQuantizer.TryQuantize(original, new QuantizationOptions(QuantizationMode.Fp16), out var result, out var error), error);
        var converted = Write("large-fp16.onnx", result!.Bytes);
        Assert.True(ModelComparison.TryCompare(original, converted, Quick with { AccuracyRows = 128 }, null, null, out var report, out error), error);

        Assert.True(result.Bytes.Length <= 0.55 * new FileInfo(original).Length, $"{result.Bytes.Length} of {new FileInfo(original).Length} bytes");
        Assert.Equal(6, result.ConvertedInitializers);
        Assert.Empty(result.Changed);
        Assert.Equal(3, result.Kept["MatMul"]);
        Assert.True(Assert.Single(report!.Outputs).RelativeL2 <= 0.002, $"relative L2 {report.Outputs[0].RelativeL2}");
    }

    [Fact]
    public void Int8_NoQuantizableOps_SaysWhatWasExpected()
    {
        Assert.False(ModelQuantizer.TryQuantize(SampleModels.BuildWideInput(), new QuantizationOptions(QuantizationMode.Int8), out _, out var error));

        Assert.Contains("no quantizable operators", error);
        Assert.Contains("MatMul, Gemm or Conv", error);
    }

    [Fact]
    public void Int8_MatMulOfTwoInputs_IsSkippedWithTheReason()
    {
        var model = new OnnxModelBuilder()
            .AddInput("a", DataType.Fp32, [2, 2])
            .AddInput("b", DataType.Fp32, [2, 2])
            .AddOutput("y", DataType.Fp32, [2, 2])
            .AddNode("MatMul", ["a", "b"], ["y"])
            .Build();

        Assert.False(ModelQuantizer.TryQuantize(model, new QuantizationOptions(QuantizationMode.Int8), out _, out var error));

        Assert.Contains("weights 'b' are not a constant initializer", error);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(30)]
    public void Int8_UnknownOpset_NamesTheRange(int opset)
    {
        var model = new OnnxModelBuilder { Opset = opset }
            .AddInput("x", DataType.Fp32, [-1, 2])
            .AddOutput("y", DataType.Fp32, [-1, 2])
            .AddInitializer("W", [2, 2], [1f, 2, 3, 4])
            .AddNode("MatMul", ["x", "W"], ["y"])
            .Build();

        Assert.False(ModelQuantizer.TryQuantize(model, new QuantizationOptions(QuantizationMode.Int8), out _, out var error));

        Assert.Equal($"the model imports ai.onnx opset {opset}; INT8 quantization knows opsets 11 to 22", error);
    }

    [Fact]
    public void NotAModel_IsAnError()
    {
        Assert.False(ModelQuantizer.TryQuantize([1, 2, 3, 4, 5], new QuantizationOptions(QuantizationMode.Fp16), out _, out var error));

        Assert.StartsWith("not an ONNX model", error);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static float[] Run(byte[] model, string input, float[] values, int[] dims, string output)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(values, dims))]);
        return [.. results.First(r => r.Name == output).AsTensor<float>()];
    }
}
