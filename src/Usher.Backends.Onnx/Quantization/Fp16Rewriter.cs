using Usher.Backends.Onnx.Format;
using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// Stores FP32 initializers as FP16, each followed by a <c>Cast</c> back to FP32 under its original
/// name: the file halves, inputs, outputs and every operator stay FP32 (ONNX Runtime folds the casts
/// at load), so no operator needs an FP16 kernel and no type annotation changes.
/// </summary>
internal sealed class Fp16Rewriter(QuantizationOptions options, UniqueNames names)
{
    // FP16's largest finite value; larger magnitudes would become infinities.
    private const float MaxHalf = 65504f;

    public int Converted { get; private set; }

    public void Rewrite(GraphScope scope)
    {
        var inputs = new HashSet<string>(scope.Graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var casts = new List<NodeProto>();
        for (var i = 0; i < scope.Graph.Initializer.Count; i++)
        {
            var tensor = scope.Graph.Initializer[i];
            if (inputs.Contains(tensor.Name) || Halves(tensor) is not { } halves)
            {
                continue;
            }

            var stored = names.Next(tensor.Name + "_fp16");
            scope.Graph.Initializer[i] = OnnxTensorData.FromHalves(stored, tensor.Dims, halves);
            casts.Add(CastToFloat(stored, tensor.Name));
            Converted++;
        }

        // The casts come first, so the graph stays topologically sorted.
        for (var c = casts.Count - 1; c >= 0; c--)
        {
            scope.Graph.Node.Insert(0, casts[c]);
        }

        // Constant nodes (exporters write weights as such inside If branches): the node yields the
        // FP16 tensor and a Cast right after it the original name.
        for (var n = 0; n < scope.Graph.Node.Count; n++)
        {
            var node = scope.Graph.Node[n];
            if (GraphScope.ConstantValue(node) is not { } tensor || node.Output.Count != 1 || Halves(tensor) is not { } halves)
            {
                continue;
            }

            var original = node.Output[0];
            var stored = names.Next(original + "_fp16");
            node.Attribute.First(a => a.Name == "value").T = OnnxTensorData.FromHalves(tensor.Name, tensor.Dims, halves);
            node.Output[0] = stored;
            scope.Graph.Node.Insert(n + 1, CastToFloat(stored, original));
            Converted++;
            n++;
        }
    }

    private Half[]? Halves(TensorProto tensor)
    {
        if (tensor.DataType != OnnxTensorData.Float || OnnxTensorData.ElementCount(tensor) < options.MinFp16Elements || OnnxTensorData.ReadFloats(tensor) is not { } values)
        {
            return null;
        }

        var halves = new Half[values.Length];
        for (var v = 0; v < values.Length; v++)
        {
            halves[v] = float.IsFinite(values[v]) ? (Half)Math.Clamp(values[v], -MaxHalf, MaxHalf) : (Half)values[v];
        }

        return halves;
    }

    private NodeProto CastToFloat(string input, string output)
    {
        var cast = new NodeProto { OpType = "Cast", Name = names.Next(output + "_Cast") };
        cast.Input.Add(input);
        cast.Output.Add(output);
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = OnnxTensorData.Float });
        return cast;
    }
}
