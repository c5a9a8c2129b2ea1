using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>Accumulates the differences of one output over many runs.</summary>
internal sealed class OutputErrors(string name)
{
    private double _maxAbs;
    private double _sumAbs;
    private double _sumSquaredDifference;
    private double _sumSquaredOriginal;
    private long _elements;
    private long _rows;
    private long _agreeingRows;
    private bool _classifier;

    public string Name => name;

    /// <summary>Adds one run's output of both models; false when the output's type or shape cannot be compared.</summary>
    public bool Add(NamedOnnxValue original, NamedOnnxValue quantized)
    {
        if (Read(original) is not var (a, dims, isInteger) || Read(quantized) is not var (b, quantizedDims, _) || a.Length != b.Length || !dims.SequenceEqual(quantizedDims))
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            var difference = Math.Abs(b[i] - a[i]);
            _maxAbs = Math.Max(_maxAbs, difference);
            _sumAbs += difference;
            _sumSquaredDifference += difference * difference;
            _sumSquaredOriginal += a[i] * a[i];
        }

        _elements += a.Length;
        if (isInteger)
        {
            _classifier = true;
            _rows += a.Length;
            _agreeingRows += a.Zip(b).Count(p => p.First == p.Second);
        }
        else if (dims.Length >= 2 && dims[^1] >= 2)
        {
            _classifier = true;
            var classes = dims[^1];
            for (var row = 0; row + classes <= a.Length; row += classes)
            {
                _rows++;
                if (Core.Tensors.Scores.ArgMax(a.AsSpan(row, classes)) == Core.Tensors.Scores.ArgMax(b.AsSpan(row, classes)))
                {
                    _agreeingRows++;
                }
            }
        }

        return true;
    }

    public OutputAccuracy Result() => new(
        name,
        _maxAbs,
        _elements == 0 ? 0 : _sumAbs / _elements,
        _sumSquaredOriginal > 0 ? Math.Sqrt(_sumSquaredDifference / _sumSquaredOriginal) : _sumSquaredDifference > 0 ? double.PositiveInfinity : 0,
        _classifier && _rows > 0 ? (double)_agreeingRows / _rows : null,
        _elements);

    private static (double[] Values, int[] Dims, bool IsInteger)? Read(NamedOnnxValue value) => value.Value switch
    {
        Tensor<float> t => (t.Select(x => (double)x).ToArray(), t.Dimensions.ToArray(), false),
        Tensor<double> t => (t.ToArray(), t.Dimensions.ToArray(), false),
        Tensor<long> t => (t.Select(x => (double)x).ToArray(), t.Dimensions.ToArray(), true),
        Tensor<int> t => (t.Select(x => (double)x).ToArray(), t.Dimensions.ToArray(), true),
        Tensor<bool> t => (t.Select(x => x ? 1.0 : 0.0).ToArray(), t.Dimensions.ToArray(), true),
        _ => null,
    };
}
