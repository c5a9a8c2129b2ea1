using System.Numerics.Tensors;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// The loss of an <see cref="MlpNetwork"/> on a mini-batch and its gradient with respect to every
/// parameter, by backpropagation. Holds the activation buffers of one batch size, reused batch after batch.
/// </summary>
internal sealed class Backpropagation
{
    private readonly MlpNetwork _network;
    private readonly float[][] _activations;
    private readonly float[] _delta;
    private readonly float[] _previousDelta;
    private readonly int _capacity;

    /// <summary>Buffers for batches of up to <paramref name="capacity"/> rows.</summary>
    public Backpropagation(MlpNetwork network, int capacity)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        _capacity = capacity;
        _activations = [.. network.Sizes.Select(s => new float[capacity * s])];
        _delta = new float[capacity * network.MaxWidth];
        _previousDelta = new float[capacity * network.MaxWidth];
    }

    /// <summary>The logits of the last <see cref="Run"/>, <c>rows × classes</c>.</summary>
    public ReadOnlySpan<float> Logits(int rows) => _activations[^1].AsSpan(0, rows * _network.Sizes[^1]);

    /// <summary>
    /// The mean loss of <paramref name="rows"/> rows of <paramref name="inputs"/> against
    /// <paramref name="targets"/> (softened probabilities) at <paramref name="temperature"/>; the
    /// gradient is written over <paramref name="gradient"/> (shaped like the network's parameters).
    /// </summary>
    public double Run(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int rows, float temperature, float[] gradient)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, _capacity);
        ArgumentNullException.ThrowIfNull(gradient);
        var net = _network;
        var sizes = net.Sizes;
        inputs[..(rows * sizes[0])].CopyTo(_activations[0]);
        for (var l = 0; l < net.Layers; l++)
        {
            net.Layer(l, _activations[l].AsSpan(0, rows * sizes[l]), rows, _activations[l + 1]);
        }

        var classes = sizes[^1];
        var delta = _delta.AsSpan(0, rows * classes);
        var loss = DistillationLoss.Compute(Logits(rows), targets, rows, classes, temperature, delta);
        Array.Clear(gradient);
        var current = _delta;
        var previous = _previousDelta;
        for (var l = net.Layers - 1; l >= 0; l--)
        {
            int inputsOf = sizes[l], outputs = sizes[l + 1];
            var input = _activations[l];
            var weights = net.Weights(l);
            var gradWeights = net.Weights(gradient, l);
            var gradBiases = net.Biases(gradient, l);
            var spread = l > 0;
            if (spread)
            {
                Array.Clear(previous, 0, rows * inputsOf);
            }

            for (var r = 0; r < rows; r++)
            {
                var d = current.AsSpan(r * outputs, outputs);
                var x = input.AsSpan(r * inputsOf, inputsOf);
                var back = previous.AsSpan(r * inputsOf, inputsOf);
                TensorPrimitives.Add(gradBiases, d, gradBiases);
                for (var o = 0; o < outputs; o++)
                {
                    var dz = d[o];
                    if (dz == 0)
                    {
                        continue;
                    }

                    var gradRow = gradWeights.Slice(o * inputsOf, inputsOf);
                    TensorPrimitives.MultiplyAdd(x, dz, gradRow, gradRow);
                    if (spread)
                    {
                        TensorPrimitives.MultiplyAdd(weights.Slice(o * inputsOf, inputsOf), dz, back, back);
                    }
                }

                if (spread)
                {
                    // Through the ReLU of layer l-1: no gradient where its output was 0.
                    for (var i = 0; i < inputsOf; i++)
                    {
                        if (x[i] <= 0)
                        {
                            back[i] = 0;
                        }
                    }
                }
            }

            (current, previous) = (previous, current);
        }

        return loss;
    }
}
