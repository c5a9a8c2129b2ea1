namespace Usher.Backends.Onnx.Quantization;

/// <summary>What <see cref="ModelQuantizer"/> does to a model.</summary>
internal enum QuantizationMode
{
    /// <summary>Dynamic INT8: MatMul, Gemm and Conv weights stored as 8-bit integers, activations quantized at run time.</summary>
    Int8,

    /// <summary>FP32 weights stored as FP16, cast back to FP32 at load, so inputs, outputs and arithmetic stay FP32.</summary>
    Fp16,
}
