namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// Symmetric weight quantization, with ONNX Runtime's quantizer's rules: the range is ±max|w|, the
/// zero point is the middle of the integer range, values round half to even, and an all-zero
/// channel gets scale 1.
/// </summary>
internal static class WeightQuantizer
{
    /// <summary>
    /// Per-column int8 of a row-major <c>[rows, cols]</c> matrix (one scale per output column, zero point 0),
    /// values in [-<paramref name="qmax"/>, <paramref name="qmax"/>].
    /// </summary>
    public static (sbyte[] Values, float[] Scales) PerColumnInt8(ReadOnlySpan<float> weights, int rows, int cols, int qmax)
    {
        var scales = new float[cols];
        for (var r = 0; r < rows; r++)
        {
            var row = weights.Slice(r * cols, cols);
            for (var c = 0; c < cols; c++)
            {
                scales[c] = MathF.Max(scales[c], MathF.Abs(row[c]));
            }
        }

        for (var c = 0; c < cols; c++)
        {
            scales[c] = Scale(scales[c], qmax);
        }

        var values = new sbyte[weights.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var i = (r * cols) + c;
                values[i] = (sbyte)Math.Clamp(MathF.Round(weights[i] / scales[c], MidpointRounding.ToEven), -qmax, qmax);
            }
        }

        return (values, scales);
    }

    /// <summary>
    /// Per-tensor uint8 with zero point 128, values in [128 - qmax, 128 + qmax]: what ONNX Runtime's
    /// <c>ConvInteger</c> runs on every CPU (int8 convolution weights need a recent runtime).
    /// </summary>
    public static (byte[] Values, float Scale) PerTensorUInt8(ReadOnlySpan<float> weights, int qmax)
    {
        var max = 0f;
        foreach (var w in weights)
        {
            max = MathF.Max(max, MathF.Abs(w));
        }

        var scale = Scale(max, qmax);
        var values = new byte[weights.Length];
        for (var i = 0; i < weights.Length; i++)
        {
            values[i] = (byte)(128 + Math.Clamp(MathF.Round(weights[i] / scale, MidpointRounding.ToEven), -qmax, qmax));
        }

        return (values, scale);
    }

    /// <summary>The transpose of a row-major <c>[rows, cols]</c> matrix.</summary>
    public static float[] Transpose(ReadOnlySpan<float> weights, int rows, int cols)
    {
        var result = new float[weights.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                result[(c * rows) + r] = weights[(r * cols) + c];
            }
        }

        return result;
    }

    // The smallest normal float (numpy's finfo(float32).tiny): below it ONNX Runtime's quantizer uses scale 1.
    private const float SmallestNormal = 1.17549435e-38f;

    private static float Scale(float absMax, int qmax)
    {
        var scale = (float)(absMax / (double)qmax);
        return scale < SmallestNormal || !float.IsFinite(scale) ? 1f : scale;
    }
}
