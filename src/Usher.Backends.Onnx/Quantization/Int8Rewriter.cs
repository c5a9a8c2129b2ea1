using System.Runtime.InteropServices;
using Usher.Backends.Onnx.Format;
using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// Rewrites MatMul, Gemm and Conv nodes whose weights are constant FP32 initializers into dynamic
/// INT8 (the pattern of ONNX Runtime's <c>quantize_dynamic</c>): weights per output channel,
/// activations quantized per tensor at run time by <c>DynamicQuantizeLinear</c>. Every other node
/// is kept as it is, in every graph of the model (If, Loop and Scan bodies included).
/// </summary>
internal sealed class Int8Rewriter
{
    /// <summary>The contrib operator domain of ONNX Runtime.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private readonly QuantizationOptions _options;
    private readonly UniqueNames _names;
    private readonly List<OpChange> _changed = [];
    private readonly List<string> _skipped = [];
    private readonly HashSet<string> _replacedWeights = new(StringComparer.Ordinal);
    private readonly Dictionary<(GraphScope, string), (string Q, string Scale, string ZeroPoint)> _quantizedInputs = [];
    private readonly int _qmax;

    public Int8Rewriter(QuantizationOptions options, UniqueNames names)
    {
        _options = options;
        _names = names;
        _qmax = options.ReduceRange ? 64 : 127;
    }

    public IReadOnlyList<OpChange> Changed => _changed;

    public IReadOnlyList<string> Skipped => _skipped;

    /// <summary>Original weight initializers that the rewritten nodes no longer read.</summary>
    public IReadOnlySet<string> ReplacedWeights => _replacedWeights;

    /// <summary>True when a node of the com.microsoft domain was written.</summary>
    public bool UsesMicrosoftDomain { get; private set; }

    public void Rewrite(GraphScope scope)
    {
        var nodes = scope.Graph.Node.ToList();
        scope.Graph.Node.Clear();
        foreach (var node in nodes)
        {
            var replacement = IsStandard(node) ? node.OpType switch
            {
                "MatMul" => MatMul(scope, node),
                "Gemm" => Gemm(scope, node),
                "Conv" => Conv(scope, node),
                _ => null,
            } : null;

            if (replacement is null)
            {
                scope.Graph.Node.Add(node);
                continue;
            }

            scope.Graph.Node.AddRange(replacement);
            _changed.Add(new OpChange(Label(node), node.OpType, string.Join(" + ", replacement.Select(n => n.OpType))));
        }
    }

    private List<NodeProto>? MatMul(GraphScope scope, NodeProto node)
    {
        if (node.Input.Count != 2 || !TryWeights(scope, node, node.Input[1], 2, out var weights, out var dims, out var owner))
        {
            return null;
        }

        return Dense(scope, owner!, node, node.Input[0], node.Input[1], weights, (int)dims[0], (int)dims[1], bias: null);
    }

    private List<NodeProto>? Gemm(GraphScope scope, NodeProto node)
    {
        var alpha = FloatAttribute(node, "alpha", 1f);
        var beta = FloatAttribute(node, "beta", 1f);
        if (alpha != 1f || IntAttribute(node, "transA", 0) != 0 || (node.Input.Count > 2 && node.Input[2].Length > 0 && beta != 1f))
        {
            Skip(node, "alpha, beta or transA other than the defaults");
            return null;
        }

        if (!TryWeights(scope, node, node.Input[1], 2, out var weights, out var dims, out var owner))
        {
            return null;
        }

        int rows = (int)dims[0], cols = (int)dims[1];
        if (IntAttribute(node, "transB", 0) != 0)
        {
            weights = WeightQuantizer.Transpose(weights, rows, cols);
            (rows, cols) = (cols, rows);
        }

        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        return Dense(scope, owner!, node, node.Input[0], node.Input[1], weights, rows, cols, bias);
    }

    private List<NodeProto> Dense(GraphScope scope, GraphScope owner, NodeProto node, string input, string weightName, float[] weights, int rows, int cols, string? bias)
    {
        var (values, scales) = WeightQuantizer.PerColumnInt8(weights, rows, cols, _qmax);
        var q = _names.Next(weightName + "_quantized");
        var scale = _names.Next(weightName + "_scale");
        var zeroPoint = _names.Next(weightName + "_zero_point");
        owner.AddInitializer(OnnxTensorData.FromRaw(q, OnnxTensorData.Int8, [rows, cols], MemoryMarshal.AsBytes(values.AsSpan())));
        owner.AddInitializer(OnnxTensorData.FromFloats(scale, [cols], scales));
        owner.AddInitializer(OnnxTensorData.FromRaw(zeroPoint, OnnxTensorData.Int8, [cols], new byte[cols]));
        _replacedWeights.Add(weightName);

        var output = node.Output[0];
        var nodes = new List<NodeProto>();

        // A 1-D bias of the right length goes into the fused kernel; any other (a [1, N] row, a
        // computed value) is added after it, as Gemm broadcasts it.
        var fusedBias = bias is not null && scope.FindConstant(bias, out _) is { Dims.Count: 1 } b && b.Dims[0] == cols ? bias : null;
        var product = bias is null || fusedBias is not null ? output : _names.Next(output + "_product");
        if (_options.Kernel == Int8Kernel.Fused)
        {
            UsesMicrosoftDomain = true;
            string[] inputs = fusedBias is null ? [input, q, scale, zeroPoint] : [input, q, scale, zeroPoint, fusedBias];
            nodes.Add(NewNode("DynamicQuantizeMatMul", inputs, [product], node.Name, MicrosoftDomain));
        }
        else
        {
            var (xq, xScale, xZeroPoint) = QuantizeInput(scope, input, nodes);
            var integer = _names.Next(output + "_int32");
            var asFloat = _names.Next(output + "_int32_float");
            var combined = _names.Next(output + "_scale");
            nodes.Add(NewNode("MatMulInteger", [xq, q, xZeroPoint, zeroPoint], [integer], node.Name));
            nodes.Add(NewNode("Cast", [integer], [asFloat], node.Name, attributes: CastToFloat()));
            nodes.Add(NewNode("Mul", [xScale, scale], [combined], node.Name));
            var scaled = fusedBias is null ? product : _names.Next(output + "_scaled");
            nodes.Add(NewNode("Mul", [asFloat, combined], [scaled], node.Name));
            if (fusedBias is not null)
            {
                nodes.Add(NewNode("Add", [scaled, fusedBias], [product], node.Name));
            }
        }

        if (bias is not null && fusedBias is null)
        {
            nodes.Add(NewNode("Add", [product, bias], [output], node.Name));
        }

        return nodes;
    }

    private List<NodeProto>? Conv(GraphScope scope, NodeProto node)
    {
        if (node.Input.Count < 2 || !TryWeights(scope, node, node.Input[1], -1, out var weights, out var dims, out var owner))
        {
            return null;
        }

        if (dims.Length < 3)
        {
            Skip(node, $"weights of rank {dims.Length}; a convolution's are [M, C/group, k...]");
            return null;
        }

        var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        TensorProto? biasTensor = null;
        if (bias is not null && (biasTensor = scope.FindConstant(bias, out _)) is null)
        {
            Skip(node, $"bias '{bias}' is not a constant initializer");
            return null;
        }

        var (values, weightScale) = WeightQuantizer.PerTensorUInt8(weights, _qmax);
        var weightName = node.Input[1];
        var q = _names.Next(weightName + "_quantized");
        var scale = _names.Next(weightName + "_scale");
        var zeroPoint = _names.Next(weightName + "_zero_point");
        owner!.AddInitializer(OnnxTensorData.FromRaw(q, OnnxTensorData.UInt8, dims, values));
        owner.AddInitializer(OnnxTensorData.FromFloats(scale, [], [weightScale]));
        owner.AddInitializer(OnnxTensorData.FromRaw(zeroPoint, OnnxTensorData.UInt8, [], [128]));
        _replacedWeights.Add(weightName);

        var output = node.Output[0];
        var nodes = new List<NodeProto>();
        var (xq, xScale, xZeroPoint) = QuantizeInput(scope, node.Input[0], nodes);
        var integer = _names.Next(output + "_int32");
        var asFloat = _names.Next(output + "_int32_float");
        var combined = _names.Next(output + "_scale");
        var convolution = NewNode("ConvInteger", [xq, q, xZeroPoint, zeroPoint], [integer], node.Name);
        convolution.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
        nodes.Add(convolution);
        nodes.Add(NewNode("Cast", [integer], [asFloat], node.Name, attributes: CastToFloat()));
        nodes.Add(NewNode("Mul", [xScale, scale], [combined], node.Name));
        var scaled = bias is null ? output : _names.Next(output + "_scaled");
        nodes.Add(NewNode("Mul", [asFloat, combined], [scaled], node.Name));
        if (bias is not null)
        {
            // The bias [M] broadcast over the channel axis: [M, 1, ...] with one 1 per spatial dim.
            var shaped = _names.Next(bias + "_per_channel");
            var biasDims = new long[dims.Length - 1];
            Array.Fill(biasDims, 1);
            biasDims[0] = dims[0];
            var copy = biasTensor!.Clone();
            copy.Name = shaped;
            copy.Dims.Clear();
            copy.Dims.AddRange(biasDims);
            owner.AddInitializer(copy);
            nodes.Add(NewNode("Add", [scaled, shaped], [output], node.Name));
        }

        return nodes;
    }

    private (string Q, string Scale, string ZeroPoint) QuantizeInput(GraphScope scope, string input, List<NodeProto> nodes)
    {
        if (_quantizedInputs.TryGetValue((scope, input), out var names))
        {
            return names;
        }

        names = (_names.Next(input + "_quantized"), _names.Next(input + "_scale"), _names.Next(input + "_zero_point"));
        nodes.Add(NewNode("DynamicQuantizeLinear", [input], [names.Q, names.Scale, names.ZeroPoint], input + "_QuantizeLinear"));
        _quantizedInputs[(scope, input)] = names;
        return names;
    }

    private bool TryWeights(GraphScope scope, NodeProto node, string name, int rank, out float[] weights, out long[] dims, out GraphScope? owner)
    {
        (weights, dims) = ([], []);
        var tensor = scope.FindConstant(name, out owner);
        if (tensor is null)
        {
            Skip(node, $"weights '{name}' are not a constant initializer");
            return false;
        }

        if (tensor.DataType != OnnxTensorData.Float)
        {
            Skip(node, $"weights '{name}' are not FP32");
            return false;
        }

        if (rank > 0 && tensor.Dims.Count != rank)
        {
            Skip(node, $"weights '{name}' have rank {tensor.Dims.Count}, not {rank}");
            return false;
        }

        var values = OnnxTensorData.ReadFloats(tensor);
        if (values is null)
        {
            Skip(node, $"weights '{name}' are stored externally or do not match their dims");
            return false;
        }

        (weights, dims) = (values, [.. tensor.Dims]);
        return true;
    }

    private void Skip(NodeProto node, string reason) => _skipped.Add($"{node.OpType} '{Label(node)}': {reason}");

    private NodeProto NewNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string hint, string? domain = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = _names.Next((hint.Length > 0 ? hint : opType) + "_" + opType) };
        if (domain is not null)
        {
            node.Domain = domain;
        }

        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto[] CastToFloat()
        => [new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = OnnxTensorData.Float }];

    private static bool IsStandard(NodeProto node) => !node.HasDomain || node.Domain.Length == 0 || node.Domain == "ai.onnx";

    private static string Label(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? node.OpType;

    private static float FloatAttribute(NodeProto node, string name, float fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    private static long IntAttribute(NodeProto node, string name, long fallback)
        => node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;
}
