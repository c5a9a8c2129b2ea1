using Usher.Backends.Onnx.Samples;

namespace Usher.Testing;

/// <summary>The sample MLPs computed by a plain loop in double precision: the independent check of what ONNX Runtime returns.</summary>
internal static class ReferenceMlp
{
    /// <summary>The last layer's outputs for one row of features.</summary>
    public static double[] Forward(MlpWeights weights, ReadOnlySpan<float> features)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var x = new double[features.Length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = features[i];
        }

        foreach (var layer in weights.Layers)
        {
            var y = new double[layer.OutputSize];
            for (var o = 0; o < layer.OutputSize; o++)
            {
                double sum = layer.Bias[o];
                for (var i = 0; i < layer.InputSize; i++)
                {
                    sum += x[i] * layer.Weights[(i * layer.OutputSize) + o];
                }

                y[o] = layer.Relu ? Math.Max(0, sum) : sum;
            }

            x = y;
        }

        return x;
    }

    /// <summary>Softmax of the fraud classifier's logits: the probabilities of [legit, fraud].</summary>
    public static double[] Softmax(double[] logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var total = exp.Sum();
        return [.. exp.Select(e => e / total)];
    }
}
