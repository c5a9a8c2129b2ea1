using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Usher.Core.Tensors;

namespace Usher.Server.Tests.Frontends;

/// <summary>
/// A valid tensor made by FsCheck for the readers' round-trip properties: its values as .NET values,
/// and, computed here independently of the readers, their JSON text and little-endian bytes.
/// </summary>
internal sealed record GeneratedTensor(string Name, DataType DataType, long[] Shape, object[] Values)
{
    private static readonly DataType[] Types =
    [
        DataType.Bool, DataType.UInt8, DataType.UInt16, DataType.UInt32, DataType.UInt64, DataType.Int8,
        DataType.Int16, DataType.Int32, DataType.Int64, DataType.Fp32, DataType.Fp64, DataType.Bytes,
    ];

    private static readonly string[] Texts = ["", "a", "é", "日本", "\u0000", "🙂", "\"quoted\"", "back\\slash", "line\nbreak"];

    private static readonly Gen<long> AnyLong =
        from high in Gen.Choose(int.MinValue, int.MaxValue)
        from low in Gen.Choose(int.MinValue, int.MaxValue)
        from edge in Gen.Frequency((6, Gen.Constant<long?>(null)), (1, Gen.Elements<long?>(long.MinValue, long.MaxValue, 0, -1)))
        select edge ?? (((long)high << 32) | (uint)low);

    /// <summary>A finite float or double (any bit pattern that is not NaN or infinite), and a few edges.</summary>
    private static readonly Gen<double> AnyDouble =
        from bits in AnyLong
        from edge in Gen.Frequency((6, Gen.Constant<double?>(null)), (1, Gen.Elements<double?>(0.0, -0.0, double.Epsilon, double.MaxValue, 1e-300)))
        select edge ?? (double.IsFinite(BitConverter.Int64BitsToDouble(bits)) ? BitConverter.Int64BitsToDouble(bits) : bits / 3.0);

    private static readonly Gen<float> AnyFloat =
        from bits in Gen.Choose(int.MinValue, int.MaxValue)
        from edge in Gen.Frequency((6, Gen.Constant<float?>(null)), (1, Gen.Elements<float?>(0f, -0f, float.Epsilon, float.MaxValue)))
        select edge ?? (float.IsFinite(BitConverter.Int32BitsToSingle(bits)) ? BitConverter.Int32BitsToSingle(bits) : bits / 7f);

    private static Gen<object> Value(DataType type) => type switch
    {
        DataType.Bool => Gen.Elements(true, false).Select(v => (object)v),
        DataType.UInt8 => Gen.Choose(byte.MinValue, byte.MaxValue).Select(v => (object)(byte)v),
        DataType.UInt16 => Gen.Choose(ushort.MinValue, ushort.MaxValue).Select(v => (object)(ushort)v),
        DataType.UInt32 => AnyLong.Select(v => (object)(uint)v),
        DataType.UInt64 => AnyLong.Select(v => (object)unchecked((ulong)v)),
        DataType.Int8 => Gen.Choose(sbyte.MinValue, sbyte.MaxValue).Select(v => (object)(sbyte)v),
        DataType.Int16 => Gen.Choose(short.MinValue, short.MaxValue).Select(v => (object)(short)v),
        DataType.Int32 => Gen.Choose(int.MinValue, int.MaxValue).Select(v => (object)v),
        DataType.Int64 => AnyLong.Select(v => (object)v),
        DataType.Fp32 => AnyFloat.Select(v => (object)v),
        DataType.Fp64 => AnyDouble.Select(v => (object)v),
        DataType.Bytes => Gen.Elements(Texts).Select(v => (object)Encoding.UTF8.GetBytes(v)),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>One tensor: any of the twelve datatypes, rank 0 to 3, each dimension 0 to 4.</summary>
    public static Gen<GeneratedTensor> Any(string name) =>
        from type in Gen.Elements(Types)
        from rank in Gen.Choose(0, 3)
        from dims in Gen.Choose(0, 4).Select(d => (long)d).ArrayOf(rank)
        from values in Value(type).ArrayOf(checked((int)TensorShape.ElementCount(dims)))
        select new GeneratedTensor(name, type, dims, values);

    /// <summary>One to three tensors with distinct names.</summary>
    public static Gen<GeneratedTensor[]> Several =>
        from count in Gen.Choose(1, 3)
        from tensors in Gen.CollectToArray(Enumerable.Range(0, count).Select(i => Any($"in{i}")))
        select tensors;

    /// <summary>The little-endian bytes of a fixed-size tensor, written value by value.</summary>
    public byte[] ExpectedBytes()
    {
        var size = DataType.ElementSize();
        var bytes = new byte[Values.Length * size];
        for (var i = 0; i < Values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            switch (Values[i])
            {
                case bool v: span[0] = v ? (byte)1 : (byte)0; break;
                case byte v: span[0] = v; break;
                case sbyte v: span[0] = unchecked((byte)v); break;
                case ushort v: BinaryPrimitives.WriteUInt16LittleEndian(span, v); break;
                case short v: BinaryPrimitives.WriteInt16LittleEndian(span, v); break;
                case uint v: BinaryPrimitives.WriteUInt32LittleEndian(span, v); break;
                case int v: BinaryPrimitives.WriteInt32LittleEndian(span, v); break;
                case ulong v: BinaryPrimitives.WriteUInt64LittleEndian(span, v); break;
                case long v: BinaryPrimitives.WriteInt64LittleEndian(span, v); break;
                case float v: BinaryPrimitives.WriteSingleLittleEndian(span, v); break;
                case double v: BinaryPrimitives.WriteDoubleLittleEndian(span, v); break;
                default: throw new InvalidOperationException(Values[i].GetType().Name);
            }
        }

        return bytes;
    }

    /// <summary>The elements of a BYTES tensor.</summary>
    public byte[][] ExpectedStrings() => Values.Cast<byte[]>().ToArray();

    /// <summary>The bytes the binary extension carries for this tensor (BYTES: a 4-byte length before each element).</summary>
    public byte[] BinaryBytes()
    {
        if (DataType != DataType.Bytes)
        {
            return ExpectedBytes();
        }

        var stream = new MemoryStream();
        foreach (var element in ExpectedStrings())
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)element.Length);
            stream.Write(length);
            stream.Write(element);
        }

        return stream.ToArray();
    }

    /// <summary>The tensor as a JSON input object: data flat or nested by the shape.</summary>
    public string ToJson(bool nested)
    {
        var data = nested && Shape.Length > 0 ? Nest(0, 0).Text : Shape.Length == 0 ? Element(Values[0]) : "[" + string.Join(",", Values.Select(Element)) + "]";
        return $$"""{"name":"{{Name}}","datatype":"{{DataType.ToProtocolName()}}","shape":[{{string.Join(",", Shape)}}],"data":{{data}}}""";
    }

    /// <summary>The tensor as a JSON input object whose data travel in the binary section.</summary>
    public string ToBinaryJson()
        => $$$"""{"name":"{{{Name}}}","datatype":"{{{DataType.ToProtocolName()}}}","shape":[{{{string.Join(",", Shape)}}}],"parameters":{"binary_data_size":{{{BinaryBytes().Length}}}}}""";

    private (string Text, int Next) Nest(int axis, int start)
    {
        if (axis == Shape.Length - 1)
        {
            var length = (int)Shape[axis];
            return ("[" + string.Join(",", Values.Skip(start).Take(length).Select(Element)) + "]", start + length);
        }

        var parts = new List<string>();
        var next = start;
        for (var i = 0; i < Shape[axis]; i++)
        {
            (var text, next) = Nest(axis + 1, next);
            parts.Add(text);
        }

        return ("[" + string.Join(",", parts) + "]", next);
    }

    private static string Element(object value) => value switch
    {
        bool v => v ? "true" : "false",
        float v => v.ToString("R", CultureInfo.InvariantCulture),
        double v => v.ToString("R", CultureInfo.InvariantCulture),
        byte[] v => System.Text.Json.JsonSerializer.Serialize(Encoding.UTF8.GetString(v)),
        IFormattable v => v.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException(value.GetType().Name),
    };

    public override string ToString() => $"{Name} {DataType.ToProtocolName()} [{string.Join(",", Shape)}]: {ToJson(nested: false)}";
}
