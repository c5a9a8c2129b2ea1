using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Quantization;
using Usher.Testing;
using Usher.Testing.ThirdParty;

namespace Usher.Backends.Onnx.Tests.Quantization;

/// <summary>
/// Models nobody here wrote (Silero VAD: convolutions and an LSTM inside If branches; openWakeWord's
/// hello_deepa: Gemm layers): quantized, loaded by ONNX Runtime, and compared with the original.
/// </summary>
public sealed class ThirdPartyQuantizationTests : IDisposable
{
    private static readonly ComparisonSettings Quick = new(TimePerPoint: TimeSpan.FromMilliseconds(50));

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [SkippableTheory]
    [InlineData("Int8", 0.05)]
    [InlineData("Fp16", 0.005)]
    public async Task SileroVad_Quantized_LoadsAndStaysCloseOnSpeech(string modeName, double maxError)
    {
        var mode = Enum.Parse<QuantizationMode>(modeName);
        var original = await ThirdPartyModels.GetAsync(ThirdPartyModel.SileroVad);

        Assert.True(ModelQuantizer.TryQuantize(original, new QuantizationOptions(mode), out var result, out var error), error);
        var quantized = Path.Combine(_dir.Path, "silero.onnx");
        await File.WriteAllBytesAsync(quantized, result!.Bytes);
        Assert.True(ModelComparison.TryCompare(original, quantized, Quick, SileroInputs(), null, out var report, out error), error);

        var speech = report!.Outputs.Single(o => o.Output == "output");
        Assert.True(speech.MaxAbsError <= maxError, $"{mode}: speech probability off by up to {speech.MaxAbsError}");
        Assert.Equal(8, report.Rows);
        if (mode == QuantizationMode.Int8)
        {
            Assert.Contains(result.Changed, c => c.OpType == "Conv");
            Assert.Contains("LSTM", result.Kept.Keys);
        }
        else
        {
            Assert.True(result.Bytes.Length <= 0.55 * new FileInfo(original).Length, $"{result.Bytes.Length} bytes");
        }
    }

    [SkippableTheory]
    [InlineData("Int8", 0.02, 0.05)]
    [InlineData("Fp16", 0.001, 0.005)]
    public async Task HelloDeepa_Quantized_LoadsAndStaysClose(string modeName, double maxMeanError, double maxRelativeL2)
    {
        var mode = Enum.Parse<QuantizationMode>(modeName);
        var original = await ThirdPartyModels.GetAsync(ThirdPartyModel.HelloDeepa);

        Assert.True(ModelQuantizer.TryQuantize(original, new QuantizationOptions(mode), out var result, out var error), error);
        var quantized = Path.Combine(_dir.Path, "hello_deepa.onnx");
        await File.WriteAllBytesAsync(quantized, result!.Bytes);
        Assert.True(ModelComparison.TryCompare(original, quantized, Quick with { AccuracyRows = 64 }, null, null, out var report, out error), error);

        var score = Assert.Single(report!.Outputs);
        // A sigmoid score on random input: a few rows sit where the sigmoid is steep, so the mean and
        // the L2 error are what say the model still scores as before (INT8 measured: mean 0.008, L2 3%).
        Assert.True(score.MeanAbsError <= maxMeanError, $"{mode}: score off by {score.MeanAbsError} on average");
        Assert.True(score.RelativeL2 <= maxRelativeL2, $"{mode}: relative L2 {score.RelativeL2}");
        Assert.Equal(64, report.Rows);
        if (mode == QuantizationMode.Int8)
        {
            Assert.NotEmpty(result.Changed);
        }
    }

    // Eight 32 ms frames of 16 kHz audio (tones and noise), state zeros, sample rate 16000: what Silero is fed.
    private static List<InputBatch> SileroInputs()
    {
        var random = new Random(3);
        var batches = new List<InputBatch>();
        for (var frame = 0; frame < 8; frame++)
        {
            var audio = new float[512];
            for (var i = 0; i < audio.Length; i++)
            {
                audio[i] = (float)((0.4 * Math.Sin(2 * Math.PI * (200 + (100 * frame)) * i / 16000)) + (0.05 * ((random.NextDouble() * 2) - 1)));
            }

            batches.Add(new InputBatch(
            [
                NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(audio, [1, 512])),
                NamedOnnxValue.CreateFromTensor("state", new DenseTensor<float>(new float[256], [2, 1, 128])),
                NamedOnnxValue.CreateFromTensor("sr", new DenseTensor<long>(new long[] { 16000 }, ReadOnlySpan<int>.Empty)),
            ], 1));
        }

        return batches;
    }
}
