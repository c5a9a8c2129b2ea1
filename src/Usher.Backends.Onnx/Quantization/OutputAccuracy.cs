namespace Usher.Backends.Onnx.Quantization;

/// <summary>How far one output of the quantized model is from the original's, over all compared rows.</summary>
/// <param name="Output">The output's name.</param>
/// <param name="MaxAbsError">The largest absolute difference of an element.</param>
/// <param name="MeanAbsError">The mean absolute difference.</param>
/// <param name="RelativeL2">‖quantized − original‖₂ / ‖original‖₂ (0 when both are zero).</param>
/// <param name="Top1Agreement">
/// The share of rows whose arg-max (over the last axis, for an FP32 output whose last axis has 2 or
/// more classes) or whose value (for an integer output such as a label) is the same; null otherwise.
/// </param>
/// <param name="Elements">The elements compared.</param>
internal sealed record OutputAccuracy(string Output, double MaxAbsError, double MeanAbsError, double RelativeL2, double? Top1Agreement, long Elements);
