namespace Usher.Backends.Onnx.Quantization;

/// <summary>The result of <c>ModelQuantizer.TryQuantize</c>.</summary>
/// <param name="Bytes">The new model file.</param>
/// <param name="Changed">The nodes rewritten.</param>
/// <param name="Kept">Operators left as they were, by type, with their counts (FP32 arithmetic).</param>
/// <param name="Skipped">Candidates left in FP32, each with the reason.</param>
/// <param name="ConvertedInitializers">FP16: the initializers stored as FP16.</param>
internal sealed record QuantizedModel(
    byte[] Bytes,
    IReadOnlyList<OpChange> Changed,
    IReadOnlyDictionary<string, int> Kept,
    IReadOnlyList<string> Skipped,
    int ConvertedInitializers);
