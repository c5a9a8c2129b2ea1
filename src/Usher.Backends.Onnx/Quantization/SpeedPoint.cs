namespace Usher.Backends.Onnx.Quantization;

/// <summary>One model's speed at one batch size, measured in process (one caller, back-to-back runs).</summary>
/// <param name="Batch">Rows per run.</param>
/// <param name="RowsPerSecond">Rows scored per second.</param>
/// <param name="P50Ms">The median time of a run, in milliseconds.</param>
/// <param name="P99Ms">The 99th percentile time of a run, in milliseconds.</param>
/// <param name="Runs">The runs measured.</param>
internal sealed record SpeedPoint(int Batch, double RowsPerSecond, double P50Ms, double P99Ms, int Runs);
