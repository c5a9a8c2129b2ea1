namespace Usher.Backends.Onnx.Quantization;

/// <summary>One node the quantizer rewrote.</summary>
/// <param name="Node">The node's name (or its first output when it has none).</param>
/// <param name="OpType">The original operator.</param>
/// <param name="Replacement">The operators that replace it, in order.</param>
internal sealed record OpChange(string Node, string OpType, string Replacement);
