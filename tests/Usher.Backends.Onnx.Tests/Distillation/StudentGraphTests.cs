using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Distillation;
using Usher.Testing;

namespace Usher.Backends.Onnx.Tests.Distillation;

public sealed class StudentGraphTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Export_LoadsInOnnxRuntime_WithTheTeachersSignature_AndMatchesAPlainForwardPass()
    {
        var network = MlpNetwork.Initialize([4, 8, 6, 3], seed: 3);
        var random = new Random(9);
        for (var i = 0; i < network.Parameters.Length; i++)
        {
            network.Parameters[i] += (float)((random.NextDouble() - 0.5) * 0.2); // non-zero biases too
        }

        var signature = new TeacherSignature("x", 4, "scores", 3, [("scores", null), ("cls", false), ("cls2", true)]);
        var path = Path.Combine(_temp.Path, "student.onnx");
        File.WriteAllBytes(path, StudentGraph.Build(network, signature, "student"));

        using var session = new InferenceSession(path);
        Assert.Equal(["x"], session.InputMetadata.Keys);
        Assert.Equal([-1, 4], session.InputMetadata["x"].Dimensions);
        Assert.Equal(["scores", "cls", "cls2"], session.OutputMetadata.Keys);
        Assert.Equal([-1, 3], session.OutputMetadata["scores"].Dimensions);
        Assert.Equal([-1], session.OutputMetadata["cls"].Dimensions);
        Assert.Equal([-1, 1], session.OutputMetadata["cls2"].Dimensions);
        var read = TeacherSignature.Read(session, out var problem);
        Assert.Null(problem);
        Assert.Equal(signature, read! with { Outputs = signature.Outputs });
        Assert.Equal(signature.Outputs, read.Outputs);

        const int Rows = 17;
        var inputs = Enumerable.Range(0, Rows * 4).Select(_ => (float)((random.NextDouble() * 6) - 3)).ToArray();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(inputs, [Rows, 4]))]);
        var scores = results.First(r => r.Name == "scores").AsTensor<float>().ToArray();
        var labels = results.First(r => r.Name == "cls").AsTensor<long>().ToArray();
        for (var r = 0; r < Rows; r++)
        {
            var expected = PlainForward(network, inputs.AsSpan(r * 4, 4).ToArray());
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(expected[c], scores[(r * 3) + c], 5);
            }

            Assert.Equal(Array.IndexOf(expected, expected.Max()), labels[r]);
        }
    }

    [Fact]
    public void FoldInputScaling_OnRawInputs_EqualsTheNetworkOnStandardizedInputs()
    {
        var network = MlpNetwork.Initialize([3, 5, 2], seed: 8);
        float[] mean = [1f, -2f, 0.5f];
        float[] scale = [2f, 0.5f, 3f];
        var folded = network.FoldInputScaling(mean, scale);
        float[] raw = [0.3f, -1.7f, 4f];
        var standardized = raw.Select((v, i) => (v - mean[i]) / scale[i]).ToArray();

        var a = PlainForward(folded, raw);
        var b = PlainForward(network, standardized);

        Assert.Equal(b[0], a[0], 5);
        Assert.Equal(b[1], a[1], 5);
    }

    // Softmax of the logits, computed with plain loops in double from the [out, in] weights.
    internal static double[] PlainForward(MlpNetwork network, float[] input)
    {
        var current = input.Select(v => (double)v).ToArray();
        for (var l = 0; l < network.Layers; l++)
        {
            int inputs = network.Sizes[l], outputs = network.Sizes[l + 1];
            var weights = network.Weights(l).ToArray();
            var biases = network.Biases(l).ToArray();
            var next = new double[outputs];
            for (var o = 0; o < outputs; o++)
            {
                var sum = (double)biases[o];
                for (var i = 0; i < inputs; i++)
                {
                    sum += weights[(o * inputs) + i] * current[i];
                }

                next[o] = l < network.Layers - 1 ? Math.Max(0, sum) : sum;
            }

            current = next;
        }

        var max = current.Max();
        var exp = current.Select(z => Math.Exp(z - max)).ToArray();
        return [.. exp.Select(e => e / exp.Sum())];
    }
}
