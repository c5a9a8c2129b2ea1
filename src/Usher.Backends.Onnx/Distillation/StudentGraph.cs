using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// Writes a trained student as an ONNX model with its teacher's signature: Gemm layers (weights
/// [out, in], <c>transB = 1</c>) with ReLU between them to logits, then Softmax to the
/// probabilities output and ArgMax to each label output, under the teacher's names and shapes.
/// </summary>
internal static class StudentGraph
{
    private static readonly string?[] BatchOnly = ["batch"];
    private static readonly string?[] BatchFirst = ["batch", null];

    /// <summary>The model's bytes.</summary>
    public static byte[] Build(MlpNetwork network, TeacherSignature teacher, string graphName)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(teacher);
        if (network.Sizes[0] != teacher.Features || network.Sizes[^1] != teacher.Classes)
        {
            throw new ArgumentException($"the network maps {network.Sizes[0]} inputs to {network.Sizes[^1]} classes; the teacher {teacher.Features} to {teacher.Classes}", nameof(network));
        }

        var builder = new OnnxModelBuilder(graphName);
        builder.AddInput(teacher.Input, DataType.Fp32, [-1, teacher.Features], BatchFirst);
        var current = teacher.Input;
        for (var l = 0; l < network.Layers; l++)
        {
            builder.AddInitializer($"W{l}", [network.Sizes[l + 1], network.Sizes[l]], network.Weights(l));
            builder.AddInitializer($"b{l}", [network.Sizes[l + 1]], network.Biases(l));
            var last = l == network.Layers - 1;
            var gemm = last ? "logits" : $"gemm{l}";
            builder.AddNode("Gemm", [current, $"W{l}", $"b{l}"], [gemm], OnnxAttribute.Int("transB", 1));
            current = gemm;
            if (!last)
            {
                builder.AddNode("Relu", [gemm], [$"relu{l}"]);
                current = $"relu{l}";
            }
        }

        foreach (var (name, labelKeepsDim) in teacher.Outputs)
        {
            if (labelKeepsDim is not { } keepsDim)
            {
                builder.AddNode("Softmax", [current], [name], OnnxAttribute.Int("axis", 1));
                builder.AddOutput(name, DataType.Fp32, [-1, teacher.Classes], BatchFirst);
            }
            else
            {
                builder.AddNode("ArgMax", [current], [name], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", keepsDim ? 1 : 0));
                builder.AddOutput(name, DataType.Int64, keepsDim ? [-1, 1] : [-1], keepsDim ? BatchFirst : BatchOnly);
            }
        }

        return builder.Build();
    }
}
