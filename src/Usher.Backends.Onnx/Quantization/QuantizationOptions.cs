namespace Usher.Backends.Onnx.Quantization;

/// <summary>How to quantize a model.</summary>
/// <param name="Mode">INT8 or FP16.</param>
/// <param name="Kernel">INT8: the operators MatMul and Gemm become; default fused (measured faster, docs/optimize.md).</param>
/// <param name="ReduceRange">
/// INT8: weights in 7 bits ([-64, 64]) instead of 8; default true. On x86 CPUs without VNNI (AVX2,
/// most AVX-512) ONNX Runtime's uint8 × int8 kernels add pairs of products in 16 bits, which saturate
/// with full-range weights: measured on mlp-large, relative L2 error 17.8% at full range, under 2%
/// reduced. Full range is more precise where the file will only run on VNNI or ARM CPUs.
/// </param>
/// <param name="MinFp16Elements">FP16: initializers smaller than this stay FP32 (epsilons, scales); default 16.</param>
internal sealed record QuantizationOptions(
    QuantizationMode Mode,
    Int8Kernel Kernel = Int8Kernel.Fused,
    bool ReduceRange = true,
    int MinFp16Elements = 16);
