using Usher.Backends.Onnx.Quantization;

namespace Usher.Backends.Onnx.Tests.Quantization;

public sealed class WeightQuantizerTests
{
    [Fact]
    public void PerColumnInt8_ScalesEachColumnByItsLargestMagnitude()
    {
        // [2, 3]: column maxima 2, 0.5 and 0 (an all-zero column gets scale 1, as in ONNX Runtime).
        float[] weights = [1f, -0.5f, 0f, -2f, 0.25f, 0f];

        var (values, scales) = WeightQuantizer.PerColumnInt8(weights, rows: 2, cols: 3, qmax: 127);

        Assert.Equal([2f / 127, 0.5f / 127, 1f], scales);
        // 1 / (2/127) = 63.5 rounds half to even to 64; 0.25 / (0.5/127) = 63.5 → 64.
        Assert.Equal(new sbyte[] { 64, -127, 0, -127, 64, 0 }, values);
    }

    [Fact]
    public void PerColumnInt8_WithReducedRange_StaysWithinSevenBits()
    {
        float[] weights = [3f, -3f, 1.5f, 0.1f];

        var (values, scales) = WeightQuantizer.PerColumnInt8(weights, rows: 2, cols: 2, qmax: 64);

        Assert.Equal([3f / 64, 3f / 64], scales);
        Assert.Equal(new sbyte[] { 64, -64, 32, 2 }, values);
    }

    [Fact]
    public void PerTensorUInt8_CentresOn128()
    {
        float[] weights = [0.5f, -1f, 0f, 0.25f];

        var (values, scale) = WeightQuantizer.PerTensorUInt8(weights, qmax: 127);

        Assert.Equal(1f / 127, scale);
        Assert.Equal(new byte[] { 128 + 64, 1, 128, 128 + 32 }, values);
    }

    [Fact]
    public void Transpose_SwapsRowsAndColumns()
    {
        float[] weights = [1, 2, 3, 4, 5, 6];

        Assert.Equal([1f, 4, 2, 5, 3, 6], WeightQuantizer.Transpose(weights, rows: 2, cols: 3));
    }
}
