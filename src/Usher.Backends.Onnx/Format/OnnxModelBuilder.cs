using System.Runtime.InteropServices;
using Google.Protobuf;
using Usher.Backends.Onnx.Format.Protos;
using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Format;

/// <summary>
/// Writes ONNX models (IR version 8) from C#: inputs, outputs, initializers and nodes. The same
/// calls always give the same bytes, so generated models can be committed and compared.
/// </summary>
/// <example>
/// <code>
/// var bytes = new OnnxModelBuilder()
///     .AddInput("x", DataType.Fp32, [-1, 4], ["batch", null])
///     .AddOutput("y", DataType.Fp32, [-1, 4], ["batch", null])
///     .AddNode("Relu", ["x"], ["y"])
///     .Build();
/// </code>
/// </example>
internal sealed class OnnxModelBuilder
{
    /// <summary>The default opset of the standard ONNX domain.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The IR version written (ONNX 1.10 and later read it).</summary>
    public const long IrVersion = 8;

    private readonly GraphProto _graph;
    private readonly List<OperatorSetIdProto> _extraOpsets = [];

    /// <summary>Creates a builder for a graph named <paramref name="graphName"/>.</summary>
    public OnnxModelBuilder(string graphName = "main")
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>The opset of the standard ONNX domain; default <see cref="DefaultOpset"/>.</summary>
    public int Opset { get; set; } = DefaultOpset;

    /// <summary>The producer name recorded in the model; default <c>usher</c>.</summary>
    public string ProducerName { get; set; } = "usher";

    /// <summary>
    /// Declares a graph input. <paramref name="dims"/> uses -1 for a dynamic dimension, which
    /// <paramref name="dimNames"/> may name (e.g. <c>batch</c>); an empty array declares a scalar.
    /// </summary>
    public OnnxModelBuilder AddInput(string name, DataType dataType, long[] dims, IReadOnlyList<string?>? dimNames = null)
    {
        _graph.Input.Add(ValueInfo(name, dataType, dims, dimNames));
        return this;
    }

    /// <summary>Declares a graph output; dims as in <see cref="AddInput"/>.</summary>
    public OnnxModelBuilder AddOutput(string name, DataType dataType, long[] dims, IReadOnlyList<string?>? dimNames = null)
    {
        _graph.Output.Add(ValueInfo(name, dataType, dims, dimNames));
        return this;
    }

    /// <summary>Adds an FP32 initializer (a constant weight tensor), stored as raw little-endian bytes.</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, ReadOnlySpan<float> values)
        => AddInitializer(name, DataType.Fp32, dims, MemoryMarshal.AsBytes(values));

    /// <summary>Adds an INT64 initializer (shapes, axes, indices), stored as raw little-endian bytes.</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, ReadOnlySpan<long> values)
        => AddInitializer(name, DataType.Int64, dims, MemoryMarshal.AsBytes(values));

    /// <summary>Adds an initializer of any fixed-size datatype from its raw little-endian bytes.</summary>
    /// <exception cref="ArgumentException">When the byte count disagrees with the dims and datatype.</exception>
    public OnnxModelBuilder AddInitializer(string name, DataType dataType, long[] dims, ReadOnlySpan<byte> rawData)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (dataType == DataType.Bytes)
        {
            throw new ArgumentException($"initializer '{name}': BYTES initializers are not supported; use a fixed-size datatype", nameof(dataType));
        }

        var expected = TensorShape.ElementCount(dims) * dataType.ElementSize();
        if (expected != rawData.Length)
        {
            throw new ArgumentException(
                $"initializer '{name}': {dataType.ToProtocolName()} {TensorShape.Format(dims)} needs {expected} bytes, got {rawData.Length}",
                nameof(rawData));
        }

        var tensor = new TensorProto { Name = name, DataType = OnnxElementTypes.ToOnnx(dataType), RawData = ByteString.CopyFrom(rawData) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>
    /// Adds a node of the standard ONNX domain. Nodes are named <c>&lt;op_type&gt;_&lt;index&gt;</c> in
    /// the order they are added.
    /// </summary>
    public OnnxModelBuilder AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes)
        => AddDomainNode(string.Empty, opType, inputs, outputs, attributes);

    /// <summary>Adds a node of another operator domain (e.g. <c>com.microsoft</c>); import the domain with <see cref="AddOpsetImport"/>.</summary>
    public OnnxModelBuilder AddDomainNode(string domain, string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(attributes);

        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_graph.Node.Count}" };
        if (domain.Length > 0)
        {
            node.Domain = domain;
        }

        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var attribute in attributes)
        {
            node.Attribute.Add(attribute.ToProto());
        }

        _graph.Node.Add(node);
        return this;
    }

    /// <summary>Imports an operator set besides the standard domain's (which <see cref="Opset"/> sets).</summary>
    public OnnxModelBuilder AddOpsetImport(string domain, long version)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        _extraOpsets.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    /// <summary>The model's bytes (an ONNX <c>ModelProto</c>).</summary>
    public byte[] Build()
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        model.OpsetImport.AddRange(_extraOpsets);
        return model.ToByteArray();
    }

    /// <summary>Writes the model to <paramref name="path"/>, creating its directory.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllBytes(path, Build());
    }

    private static ValueInfoProto ValueInfo(string name, DataType dataType, long[] dims, IReadOnlyList<string?>? dimNames)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (dimNames is not null && dimNames.Count != dims.Length)
        {
            throw new ArgumentException($"tensor '{name}': {dimNames.Count} dim names for {dims.Length} dims; give one per dim (null for none)", nameof(dimNames));
        }

        var shape = new TensorShapeProto();
        for (var i = 0; i < dims.Length; i++)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (dims[i] >= 0)
            {
                dim.DimValue = dims[i];
            }
            else if (dims[i] != -1)
            {
                throw new ArgumentException($"tensor '{name}': dim {i} is {dims[i]}; use a size >= 0, or -1 for a dynamic dim", nameof(dims));
            }
            else if (dimNames?[i] is { Length: > 0 } symbol)
            {
                dim.DimParam = symbol;
            }

            shape.Dim.Add(dim);
        }

        var tensorType = new TypeProto.Types.Tensor { ElemType = OnnxElementTypes.ToOnnx(dataType), Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
