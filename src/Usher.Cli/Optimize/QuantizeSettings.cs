using Usher.Backends.Onnx.Quantization;

namespace Usher.Cli.Optimize;

/// <summary>What <c>usher optimize quantize</c> was asked to do.</summary>
/// <param name="Repository">The model repository.</param>
/// <param name="Model">The model's folder name.</param>
/// <param name="Version">The version quantized.</param>
/// <param name="Options">Mode, kernel and weight range.</param>
/// <param name="ToVersion">The new version's number; null: the next free one.</param>
/// <param name="Calibration">Request bodies to compare the versions on; null: generated inputs.</param>
/// <param name="Comparison">How the versions are measured.</param>
/// <param name="FromLog">A request log folder whose logged requests the versions are compared on (instead of <paramref name="Calibration"/>); null: none.</param>
internal sealed record QuantizeSettings(
    string Repository,
    string Model,
    long Version,
    QuantizationOptions Options,
    long? ToVersion,
    string? Calibration,
    ComparisonSettings Comparison,
    string? FromLog = null);
