using Usher.Backends.Onnx.Samples;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.Backends.Onnx.Tests.Samples;

public sealed class SampleModelsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Fraud_OnRandomBatches_MatchesPlainForwardPassAndArgmax(int version)
    {
        var path = Path.Combine(_temp.Path, "fraud.onnx");
        await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(version));
        var weights = SampleModels.FraudWeights(version);
        using var session = await TestSessions.LoadAsync(path);
        var random = new Random(100 + version);

        foreach (var batch in new[] { 1, 3, 17, 64 })
        {
            var features = new float[batch * 30];
            for (var i = 0; i < features.Length; i++)
            {
                features[i] = (float)((random.NextDouble() * 6) - 3);
            }

            var outputs = session.Run([Tensor.FromSpan<float>("features", DataType.Fp32, [batch, 30], features)], ["probabilities", "label"]);

            Assert.Equal([(long)batch, 2L], outputs[0].Shape);
            Assert.Equal([(long)batch], outputs[1].Shape);
            var probabilities = outputs[0].AsSpan<float>();
            var labels = outputs[1].AsSpan<long>();
            for (var row = 0; row < batch; row++)
            {
                var expected = Forward(weights, features.AsSpan(row * 30, 30));
                Assert.Equal(expected[0], probabilities[row * 2], 1e-5);
                Assert.Equal(expected[1], probabilities[(row * 2) + 1], 1e-5);
                Assert.Equal(expected[1] > expected[0] ? 1L : 0L, labels[row]);
            }
        }
    }

    [Fact]
    public async Task Fraud_Versions1And2_HaveDifferentWeightsAndAnswers()
    {
        var one = SampleModels.FraudWeights(1);
        var two = SampleModels.FraudWeights(2);
        Assert.NotEqual(one.Layers[0].Weights, two.Layers[0].Weights);

        var path1 = Path.Combine(_temp.Path, "1.onnx");
        var path2 = Path.Combine(_temp.Path, "2.onnx");
        await File.WriteAllBytesAsync(path1, SampleModels.BuildFraud(1));
        await File.WriteAllBytesAsync(path2, SampleModels.BuildFraud(2));
        using var session1 = await TestSessions.LoadAsync(path1);
        using var session2 = await TestSessions.LoadAsync(path2);
        var features = Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], Enumerable.Range(0, 30).Select(i => (i % 7) - 3f).ToArray());

        var p1 = session1.Run([features], ["probabilities"])[0].AsSpan<float>()[0];
        var p2 = session2.Run([features], ["probabilities"])[0].AsSpan<float>()[0];

        Assert.True(Math.Abs(p1 - p2) > 1e-3, $"versions 1 and 2 answered alike: {p1} and {p2}");
    }

    [Fact]
    public async Task Fraud_Metadata_DeclaresFeaturesProbabilitiesAndLabel()
    {
        var path = Path.Combine(_temp.Path, "fraud.onnx");
        await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(1));
        using var session = await TestSessions.LoadAsync(path);

        var input = Assert.Single(session.Inputs);
        Assert.Equal(("features", DataType.Fp32), (input.Name, input.DataType));
        Assert.Equal([-1L, 30L], input.Shape);
        Assert.Equal(["probabilities", "label"], session.Outputs.Select(o => o.Name));
        Assert.Equal([DataType.Fp32, DataType.Int64], session.Outputs.Select(o => o.DataType));
        Assert.Equal([-1L, 2L], session.Outputs[0].Shape);
        Assert.Equal([-1L], session.Outputs[1].Shape);
    }

    [Fact]
    public void CommittedSamples_AreByteIdenticalToRegeneration()
    {
        var committed = Path.Combine(RepoRoot.Path, "samples", "models");
        var written = SampleModels.Generate(_temp.Path, includeLarge: false, overwrite: false);

        Assert.Equal(3, written.Count);
        foreach (var file in written)
        {
            var relative = Path.GetRelativePath(_temp.Path, file);
            var committedFile = Path.Combine(committed, relative);
            Assert.True(File.Exists(committedFile), $"'{committedFile}' is missing; run `usher samples generate` and commit samples/models/fraud");
            Assert.True(
                File.ReadAllBytes(committedFile).AsSpan().SequenceEqual(File.ReadAllBytes(file)),
                $"'{committedFile}' differs from what the generator writes now; regenerate and commit it");
        }
    }

    [Fact]
    public void Generate_WithoutOverwrite_KeepsExistingFilesAndWithOverwriteReplacesThem()
    {
        var config = Path.Combine(_temp.Path, "fraud", "config.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);
        File.WriteAllText(config, "edited");

        var kept = SampleModels.Generate(_temp.Path, includeLarge: false, overwrite: false);
        Assert.DoesNotContain(config, kept);
        Assert.Equal("edited", File.ReadAllText(config));

        var replaced = SampleModels.Generate(_temp.Path, includeLarge: false, overwrite: true);
        Assert.Contains(config, replaced);
        Assert.Equal(SampleModels.FraudConfigYaml, File.ReadAllText(config));
    }

    [Fact]
    public async Task EnsureLarge_WritesOnceAndTheModelMatchesPlainForwardPass()
    {
        Assert.True(SampleModels.EnsureLarge(_temp.Path));
        Assert.False(SampleModels.EnsureLarge(_temp.Path));

        var path = SampleModels.ModelPath(_temp.Path, SampleModels.LargeName, 1);
        Assert.InRange(new FileInfo(path).Length, 12_000_000, 13_000_000);
        using var session = await TestSessions.LoadAsync(path);
        Assert.Equal([-1L, 1024L], session.Inputs[0].Shape);

        var random = new Random(5);
        var input = Enumerable.Range(0, 2 * 1024).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var output = session.Run([Tensor.FromSpan<float>("input", DataType.Fp32, [2, 1024], input)], ["output"])[0];

        var weights = SampleModels.LargeWeights();
        for (var row = 0; row < 2; row++)
        {
            var expected = Dense(weights, input.AsSpan(row * 1024, 1024));
            var actual = output.AsSpan<float>().Slice(row * 1024, 1024);
            for (var j = 0; j < 1024; j++)
            {
                Assert.Equal(expected[j], actual[j], 1e-4);
            }
        }
    }

    [Fact]
    public void SplitMix64_FromSeed1234567_GivesTheReferenceSequence()
    {
        // The first outputs of Vigna's reference splitmix64.c seeded with 1234567.
        var random = new SplitMix64(1234567);

        Assert.Equal(6457827717110365317UL, random.Next());
        Assert.Equal(3203168211198807973UL, random.Next());
        Assert.Equal(9817491932198370423UL, random.Next());
    }

    /// <summary>The MLP's layers in double precision, without ONNX Runtime.</summary>
    private static double[] Dense(MlpWeights weights, ReadOnlySpan<float> input)
    {
        var x = new double[input.Length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = input[i];
        }

        foreach (var layer in weights.Layers)
        {
            var y = new double[layer.OutputSize];
            for (var j = 0; j < layer.OutputSize; j++)
            {
                double sum = layer.Bias[j];
                for (var i = 0; i < layer.InputSize; i++)
                {
                    sum += x[i] * layer.Weights[(i * layer.OutputSize) + j];
                }

                y[j] = layer.Relu ? Math.Max(0, sum) : sum;
            }

            x = y;
        }

        return x;
    }

    private static double[] Forward(MlpWeights weights, ReadOnlySpan<float> features)
    {
        var logits = Dense(weights, features);
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var total = exp.Sum();
        return [.. exp.Select(e => e / total)];
    }
}
