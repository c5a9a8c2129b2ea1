using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Samples;

/// <summary>Writes sample MLPs as ONNX graphs.</summary>
internal static class MlpGraphs
{
    private static readonly string?[] BatchOnly = ["batch"];
    private static readonly string?[] BatchFirst = ["batch", null];

    /// <summary>
    /// The fraud classifier: Gemm layers to logits, then <c>probabilities</c> = Softmax(logits) and
    /// <c>label</c> = ArgMax(logits) over the class axis.
    /// </summary>
    public static byte[] Classifier(MlpWeights weights, string graphName, string inputName)
    {
        var builder = new OnnxModelBuilder(graphName);
        var layers = weights.Layers;
        builder.AddInput(inputName, DataType.Fp32, [-1, layers[0].InputSize], BatchFirst);
        var current = inputName;
        for (var l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            AddWeights(builder, layer, l);
            var gemm = layer.Relu ? $"gemm{l}" : "logits";
            builder.AddNode("Gemm", [current, $"W{l}", $"b{l}"], [gemm]);
            current = gemm;
            if (layer.Relu)
            {
                builder.AddNode("Relu", [gemm], [$"relu{l}"]);
                current = $"relu{l}";
            }
        }

        var classes = layers[^1].OutputSize;
        builder.AddNode("Softmax", [current], ["probabilities"], OnnxAttribute.Int("axis", 1));
        builder.AddNode("ArgMax", [current], ["label"], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0));
        builder.AddOutput("probabilities", DataType.Fp32, [-1, classes], BatchFirst);
        builder.AddOutput("label", DataType.Int64, [-1], BatchOnly);
        return builder.Build();
    }

    /// <summary>A plain MLP of MatMul + Add layers (ReLU between them) from <c>input</c> to <c>output</c>.</summary>
    public static byte[] Regressor(MlpWeights weights, string graphName)
    {
        var builder = new OnnxModelBuilder(graphName);
        var layers = weights.Layers;
        builder.AddInput("input", DataType.Fp32, [-1, layers[0].InputSize], BatchFirst);
        var current = "input";
        for (var l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            AddWeights(builder, layer, l);
            builder.AddNode("MatMul", [current, $"W{l}"], [$"matmul{l}"]);
            var sum = l == layers.Count - 1 ? "output" : $"add{l}";
            builder.AddNode("Add", [$"matmul{l}", $"b{l}"], [sum]);
            current = sum;
            if (layer.Relu)
            {
                builder.AddNode("Relu", [sum], [$"relu{l}"]);
                current = $"relu{l}";
            }
        }

        builder.AddOutput("output", DataType.Fp32, [-1, layers[^1].OutputSize], BatchFirst);
        return builder.Build();
    }

    private static void AddWeights(OnnxModelBuilder builder, DenseLayer layer, int index)
    {
        builder.AddInitializer($"W{index}", [layer.InputSize, layer.OutputSize], layer.Weights);
        builder.AddInitializer($"b{index}", [layer.OutputSize], layer.Bias);
    }
}
