using Microsoft.ML.OnnxRuntime;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>One set of model inputs for a comparison run.</summary>
/// <param name="Values">One tensor per model input.</param>
/// <param name="Rows">The rows it holds (its batch size; 1 for a model without a batch dimension).</param>
internal sealed record InputBatch(IReadOnlyList<NamedOnnxValue> Values, int Rows);
