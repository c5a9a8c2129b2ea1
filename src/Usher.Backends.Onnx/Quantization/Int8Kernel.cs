namespace Usher.Backends.Onnx.Quantization;

/// <summary>Which operators an INT8 MatMul or Gemm becomes.</summary>
internal enum Int8Kernel
{
    /// <summary>ONNX Runtime's fused <c>com.microsoft.DynamicQuantizeMatMul</c>: one node, prepacked weights.</summary>
    Fused,

    /// <summary>Standard ONNX only: <c>DynamicQuantizeLinear</c> + <c>MatMulInteger</c> + <c>Cast</c> + <c>Mul</c> (any runtime; ONNX Runtime fuses it at load).</summary>
    Portable,
}
