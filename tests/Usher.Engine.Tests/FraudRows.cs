using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Engine.Tests;

/// <summary>Feature rows for the fraud sample and what the reference MLP says about them.</summary>
internal static class FraudRows
{
    public const int Features = 30;

    /// <summary><paramref name="rows"/> rows of features from a fixed seed, row-major.</summary>
    public static float[] Make(int rows, int seed = 7)
    {
        var random = new Random(seed);
        var data = new float[rows * Features];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return data;
    }

    /// <summary>The probabilities [legit, fraud] of every row, computed by the reference MLP in double precision.</summary>
    public static double[] Expected(int version, float[] rows)
    {
        var weights = SampleModels.FraudWeights(version);
        var expected = new List<double>();
        for (var row = 0; row < rows.Length / Features; row++)
        {
            expected.AddRange(ReferenceMlp.Softmax(ReferenceMlp.Forward(weights, rows.AsSpan(row * Features, Features))));
        }

        return [.. expected];
    }

    public static void AssertClose(IReadOnlyList<double> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < actual.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>A repository holding the committed fraud sample (versions 1 and 2) under <paramref name="name"/>.</summary>
    public static void CopyFraud(string repository, string name = "fraud")
    {
        SampleRepository.CopySample(repository, "fraud");
        if (name != "fraud")
        {
            Directory.Move(Path.Combine(repository, "fraud"), Path.Combine(repository, name));
        }
    }
}
