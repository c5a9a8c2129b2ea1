namespace Usher.Backends.Onnx.Quantization;

/// <summary>The accuracy and speed of a quantized model against its original, measured in one run.</summary>
/// <param name="Outputs">The error of every output.</param>
/// <param name="Original">The original's speed at each batch size measured.</param>
/// <param name="Quantized">The quantized model's speed at the same batch sizes.</param>
/// <param name="Rows">The rows the accuracy was measured on.</param>
/// <param name="Inputs">Where the inputs came from: generated (with the seed) or the calibration file.</param>
internal sealed record ComparisonReport(
    IReadOnlyList<OutputAccuracy> Outputs,
    IReadOnlyList<SpeedPoint> Original,
    IReadOnlyList<SpeedPoint> Quantized,
    int Rows,
    string Inputs)
{
    /// <summary>The lowest top-1 agreement of any classifier output; null when no output is a classifier's.</summary>
    public double? Top1Agreement => Outputs.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).DefaultIfEmpty(double.NaN)
        .Min() is var min && double.IsNaN(min) ? null : min;

    /// <summary>The batch size at which a model scored most rows per second.</summary>
    public static SpeedPoint Best(IReadOnlyList<SpeedPoint> points) => points.MaxBy(p => p.RowsPerSecond)!;
}
