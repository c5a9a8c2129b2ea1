using Google.Protobuf;
using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Format;

/// <summary>A node attribute for <see cref="OnnxModelBuilder.AddNode(string, IReadOnlyList{string}, IReadOnlyList{string}, OnnxAttribute[])"/>, e.g. <c>OnnxAttribute.Int("axis", 1)</c>.</summary>
internal sealed class OnnxAttribute
{
    private readonly AttributeProto _proto;

    private OnnxAttribute(AttributeProto proto) => _proto = proto;

    /// <summary>The attribute's name.</summary>
    public string Name => _proto.Name;

    /// <summary>An integer attribute (ONNX <c>INT</c>).</summary>
    public static OnnxAttribute Int(string name, long value)
        => new(new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Int, I = value });

    /// <summary>A float attribute (ONNX <c>FLOAT</c>).</summary>
    public static OnnxAttribute Float(string name, float value)
        => new(new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Float, F = value });

    /// <summary>A string attribute (ONNX <c>STRING</c>), stored as UTF-8.</summary>
    public static OnnxAttribute String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(new AttributeProto
        {
            Name = CheckName(name),
            Type = AttributeProto.Types.AttributeType.String,
            S = ByteString.CopyFromUtf8(value),
        });
    }

    /// <summary>A list of integers (ONNX <c>INTS</c>).</summary>
    public static OnnxAttribute Ints(string name, params long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var proto = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Ints };
        proto.Ints.AddRange(values);
        return new(proto);
    }

    /// <summary>A list of floats (ONNX <c>FLOATS</c>).</summary>
    public static OnnxAttribute Floats(string name, params float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var proto = new AttributeProto { Name = CheckName(name), Type = AttributeProto.Types.AttributeType.Floats };
        proto.Floats.AddRange(values);
        return new(proto);
    }

    internal AttributeProto ToProto() => _proto.Clone();

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name;
    }
}
