using System.Numerics.Tensors;
using Usher.Backends.Onnx.Samples;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// A fully connected network: ReLU after every layer but the last, which gives logits. All
/// parameters live in one array (<see cref="Parameters"/>), layer by layer: the weights row-major
/// [out, in] (a row per output unit, so a unit is one <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>), then the biases.
/// </summary>
internal sealed class MlpNetwork
{
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;

    /// <summary>A network of layer sizes <paramref name="sizes"/> (input first) with all parameters zero.</summary>
    public MlpNetwork(IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count < 2 || sizes.Any(s => s < 1))
        {
            throw new ArgumentException("an MLP needs an input size and at least one layer, all positive", nameof(sizes));
        }

        Sizes = [.. sizes];
        _weightOffsets = new int[Layers];
        _biasOffsets = new int[Layers];
        var offset = 0L;
        for (var l = 0; l < Layers; l++)
        {
            _weightOffsets[l] = checked((int)offset);
            offset += (long)Sizes[l] * Sizes[l + 1];
            _biasOffsets[l] = checked((int)offset);
            offset += Sizes[l + 1];
        }

        Parameters = new float[checked((int)offset)];
    }

    /// <summary>Layer sizes, input first, classes (logits) last.</summary>
    public int[] Sizes { get; }

    /// <summary>The number of layers (weight matrices).</summary>
    public int Layers => Sizes.Length - 1;

    /// <summary>Every weight and bias, in one array.</summary>
    public float[] Parameters { get; }

    /// <summary>The widest layer output (for sizing buffers).</summary>
    public int MaxWidth => Sizes.Max();

    /// <summary>He initialization (weights normal with variance 2/fan-in, biases 0) from <paramref name="seed"/>.</summary>
    public static MlpNetwork Initialize(IReadOnlyList<int> sizes, ulong seed)
    {
        var network = new MlpNetwork(sizes);
        var random = new SplitMix64(seed);
        for (var l = 0; l < network.Layers; l++)
        {
            var weights = network.Weights(l);
            var std = Math.Sqrt(2.0 / network.Sizes[l]);
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(Gaussian(random) * std);
            }
        }

        return network;
    }

    /// <summary>A standard normal draw (Box-Muller) from <paramref name="random"/>.</summary>
    public static double Gaussian(SplitMix64 random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var u = 1.0 - random.NextDouble();
        var v = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>Layer <paramref name="layer"/>'s weights, [out, in] row-major.</summary>
    public Span<float> Weights(int layer) => Parameters.AsSpan(_weightOffsets[layer], Sizes[layer] * Sizes[layer + 1]);

    /// <summary>Layer <paramref name="layer"/>'s biases.</summary>
    public Span<float> Biases(int layer) => Parameters.AsSpan(_biasOffsets[layer], Sizes[layer + 1]);

    /// <summary>The same slice of another parameter-shaped array (gradients, optimizer state).</summary>
    public Span<float> Weights(float[] like, int layer) => like.AsSpan(_weightOffsets[layer], Sizes[layer] * Sizes[layer + 1]);

    /// <summary>The biases' slice of another parameter-shaped array.</summary>
    public Span<float> Biases(float[] like, int layer) => like.AsSpan(_biasOffsets[layer], Sizes[layer + 1]);

    /// <summary>A copy with its own parameters.</summary>
    public MlpNetwork Clone()
    {
        var copy = new MlpNetwork(Sizes);
        Parameters.CopyTo(copy.Parameters, 0);
        return copy;
    }

    /// <summary>Copies <paramref name="other"/>'s parameters (same sizes) into this network.</summary>
    public void CopyFrom(MlpNetwork other)
    {
        ArgumentNullException.ThrowIfNull(other);
        other.Parameters.CopyTo(Parameters, 0);
    }

    /// <summary>
    /// One layer on <paramref name="rows"/> rows: <c>output[r, o] = W[o] · input[r] + b[o]</c>, then
    /// a ReLU unless it is the last layer.
    /// </summary>
    public void Layer(int layer, ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        int inputs = Sizes[layer], outputs = Sizes[layer + 1];
        var weights = Weights(layer);
        var biases = Biases(layer);
        for (var r = 0; r < rows; r++)
        {
            var x = input.Slice(r * inputs, inputs);
            var y = output.Slice(r * outputs, outputs);
            for (var o = 0; o < outputs; o++)
            {
                y[o] = TensorPrimitives.Dot(weights.Slice(o * inputs, inputs), x);
            }

            TensorPrimitives.Add(y, biases, y);
            if (layer < Layers - 1)
            {
                TensorPrimitives.Max(y, 0f, y);
            }
        }
    }

    /// <summary>The logits of <paramref name="rows"/> rows (<c>rows × classes</c>).</summary>
    public float[] Logits(ReadOnlySpan<float> input, int rows)
    {
        var current = input.ToArray();
        for (var l = 0; l < Layers; l++)
        {
            var next = new float[rows * Sizes[l + 1]];
            Layer(l, current, rows, next);
            current = next;
        }

        return current;
    }

    /// <summary>
    /// A network that takes raw inputs where this one was trained on standardized ones
    /// (<c>(x − mean) / scale</c>): the first layer's weights are divided by the scale and its biases
    /// absorb the mean, so the two compute the same function.
    /// </summary>
    public MlpNetwork FoldInputScaling(ReadOnlySpan<float> mean, ReadOnlySpan<float> scale)
    {
        var folded = Clone();
        int inputs = Sizes[0], outputs = Sizes[1];
        var weights = folded.Weights(0);
        var biases = folded.Biases(0);
        for (var o = 0; o < outputs; o++)
        {
            var row = weights.Slice(o * inputs, inputs);
            TensorPrimitives.Divide(row, scale, row);
            biases[o] -= TensorPrimitives.Dot(row, mean);
        }

        return folded;
    }
}
