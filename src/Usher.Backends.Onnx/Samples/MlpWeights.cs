namespace Usher.Backends.Onnx.Samples;

/// <summary>The layers of a sample MLP, in order, as written into its ONNX file.</summary>
/// <param name="Layers">The dense layers from input to output.</param>
internal sealed record MlpWeights(IReadOnlyList<DenseLayer> Layers)
{
    /// <summary>
    /// Draws the weights of an MLP with layer sizes <paramref name="sizes"/> (input first) from
    /// <paramref name="seed"/>. Weights are uniform with variance 1/fan-in (bound sqrt(3/fan-in)),
    /// biases uniform within 1/sqrt(fan-in), as PyTorch initializes <c>nn.Linear</c>'s bias. Every
    /// layer but the last is followed by a ReLU.
    /// </summary>
    internal static MlpWeights Random(ulong seed, params int[] sizes)
    {
        var random = new SplitMix64(seed);
        var layers = new DenseLayer[sizes.Length - 1];
        for (var l = 0; l < layers.Length; l++)
        {
            int fanIn = sizes[l], fanOut = sizes[l + 1];
            var weights = new float[fanIn * fanOut];
            var weightBound = Math.Sqrt(3.0 / fanIn);
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = random.NextSymmetric(weightBound);
            }

            var bias = new float[fanOut];
            var biasBound = 1.0 / Math.Sqrt(fanIn);
            for (var i = 0; i < bias.Length; i++)
            {
                bias[i] = random.NextSymmetric(biasBound);
            }

            layers[l] = new DenseLayer(fanIn, fanOut, weights, bias, Relu: l < layers.Length - 1);
        }

        return new MlpWeights(layers);
    }

    /// <summary>
    /// A "retrained" copy: every weight and bias moved by a uniform draw within
    /// <paramref name="relativeNoise"/> of the layer's initialization bound, from <paramref name="seed"/>.
    /// Small noise keeps the predictions close to the original's (a healthy new version); large noise
    /// makes them drift.
    /// </summary>
    internal MlpWeights Perturbed(ulong seed, double relativeNoise)
    {
        var random = new SplitMix64(seed);
        var layers = new DenseLayer[Layers.Count];
        for (var l = 0; l < layers.Length; l++)
        {
            var layer = Layers[l];
            var weightBound = Math.Sqrt(3.0 / layer.InputSize) * relativeNoise;
            var biasBound = 1.0 / Math.Sqrt(layer.InputSize) * relativeNoise;
            var weights = layer.Weights.Select(w => w + random.NextSymmetric(weightBound)).ToArray();
            var bias = layer.Bias.Select(b => b + random.NextSymmetric(biasBound)).ToArray();
            layers[l] = layer with { Weights = weights, Bias = bias };
        }

        return new MlpWeights(layers);
    }
}
