using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Usher.Core.Tensors;
using Usher.Server.Protos;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// A tensor as the tests send it, with its own encoders and decoders for each wire format, written
/// from the protocol's text and independent of the server's code: little-endian bytes for fixed-size
/// types, one byte array per element for BYTES.
/// </summary>
internal sealed record WireTensor(string Name, DataType Type, long[] Shape, byte[] Data, byte[][]? Strings)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The binary extension's encoding (BYTES: 4-byte little-endian length, then the bytes).</summary>
    public byte[] Binary => Strings is null ? Data : [.. Strings.SelectMany(s => BitConverter.GetBytes((uint)s.Length).Concat(s))];

    public bool SameAs(WireTensor other)
        => Type == other.Type && Shape.SequenceEqual(other.Shape) && Binary.AsSpan().SequenceEqual(other.Binary);

    public override string ToString() => $"{Name} {Type.ToProtocolName()} [{string.Join(',', Shape)}] {Convert.ToHexString(Binary)}";

    public static WireTensor FromBinary(string name, DataType type, long[] shape, ReadOnlySpan<byte> bytes)
    {
        if (type != DataType.Bytes)
        {
            return new WireTensor(name, type, shape, bytes.ToArray(), null);
        }

        var elements = new List<byte[]>();
        while (!bytes.IsEmpty)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            elements.Add(bytes.Slice(4, length).ToArray());
            bytes = bytes[(4 + length)..];
        }

        return new WireTensor(name, type, shape, [], [.. elements]);
    }

    /// <summary>Writes <c>"data": [...]</c>, flat. Floats as the exact double of their value; NaN and infinities as strings.</summary>
    public void WriteJsonData(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("data");
        for (var i = 0; i < Count; i++)
        {
            switch (Type)
            {
                case DataType.Bool: writer.WriteBooleanValue(Data[i] != 0); break;
                case DataType.UInt8: writer.WriteNumberValue(Data[i]); break;
                case DataType.UInt16: writer.WriteNumberValue(Get<ushort>(i)); break;
                case DataType.UInt32: writer.WriteNumberValue(Get<uint>(i)); break;
                case DataType.UInt64: writer.WriteNumberValue(Get<ulong>(i)); break;
                case DataType.Int8: writer.WriteNumberValue((sbyte)Data[i]); break;
                case DataType.Int16: writer.WriteNumberValue(Get<short>(i)); break;
                case DataType.Int32: writer.WriteNumberValue(Get<int>(i)); break;
                case DataType.Int64: writer.WriteNumberValue(Get<long>(i)); break;
                case DataType.Fp16: WriteReal(writer, (double)Get<Half>(i)); break;
                case DataType.Bf16: WriteReal(writer, BitConverter.Int32BitsToSingle(Get<ushort>(i) << 16)); break;
                case DataType.Fp32: WriteReal(writer, Get<float>(i)); break;
                case DataType.Fp64: WriteReal(writer, Get<double>(i)); break;
                case DataType.Bytes: writer.WriteStringValue(Encoding.UTF8.GetString(Strings![i])); break;
                default: throw new ArgumentOutOfRangeException(nameof(writer));
            }
        }

        writer.WriteEndArray();
    }

    public static WireTensor FromJson(JsonElement output)
    {
        var name = output.GetProperty("name").GetString()!;
        Assert.True(DataTypes.TryParse(output.GetProperty("datatype").GetString(), out var type));
        var shape = output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var data = output.GetProperty("data").EnumerateArray().ToArray();
        if (type == DataType.Bytes)
        {
            return new WireTensor(name, type, shape, [], [.. data.Select(d => Encoding.UTF8.GetBytes(d.GetString()!))]);
        }

        var bytes = new byte[data.Length * type.ElementSize()];
        for (var i = 0; i < data.Length; i++)
        {
            var e = data[i];
            switch (type)
            {
                case DataType.Bool: bytes[i] = e.GetBoolean() ? (byte)1 : (byte)0; break;
                case DataType.UInt8: bytes[i] = e.GetByte(); break;
                case DataType.UInt16: Set(bytes, i, e.GetUInt16()); break;
                case DataType.UInt32: Set(bytes, i, e.GetUInt32()); break;
                case DataType.UInt64: Set(bytes, i, e.GetUInt64()); break;
                case DataType.Int8: Set(bytes, i, e.GetSByte()); break;
                case DataType.Int16: Set(bytes, i, e.GetInt16()); break;
                case DataType.Int32: Set(bytes, i, e.GetInt32()); break;
                case DataType.Int64: Set(bytes, i, e.GetInt64()); break;
                case DataType.Fp16: Set(bytes, i, (Half)ReadReal(e)); break;
                case DataType.Bf16: Set(bytes, i, (ushort)(BitConverter.SingleToInt32Bits((float)ReadReal(e)) >>> 16)); break;
                case DataType.Fp32: Set(bytes, i, (float)ReadReal(e)); break;
                case DataType.Fp64: Set(bytes, i, ReadReal(e)); break;
                default: throw new ArgumentOutOfRangeException(nameof(output));
            }
        }

        return new WireTensor(name, type, shape, bytes, null);
    }

    public ModelInferRequest.Types.InferInputTensor ToGrpcInput(bool raw, ModelInferRequest request)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = Name, Datatype = Type.ToProtocolName() };
        input.Shape.AddRange(Shape);
        if (raw)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(Binary));
            return input;
        }

        var c = input.Contents = new InferTensorContents();
        if (Type is DataType.Fp16 or DataType.Bf16)
        {
            // No typed field carries these; the server must refuse the request.
            return input;
        }

        for (var i = 0; i < Count; i++)
        {
            switch (Type)
            {
                case DataType.Bool: c.BoolContents.Add(Data[i] != 0); break;
                case DataType.UInt8: c.UintContents.Add(Data[i]); break;
                case DataType.UInt16: c.UintContents.Add(Get<ushort>(i)); break;
                case DataType.UInt32: c.UintContents.Add(Get<uint>(i)); break;
                case DataType.UInt64: c.Uint64Contents.Add(Get<ulong>(i)); break;
                case DataType.Int8: c.IntContents.Add((sbyte)Data[i]); break;
                case DataType.Int16: c.IntContents.Add(Get<short>(i)); break;
                case DataType.Int32: c.IntContents.Add(Get<int>(i)); break;
                case DataType.Int64: c.Int64Contents.Add(Get<long>(i)); break;
                case DataType.Fp32: c.Fp32Contents.Add(Get<float>(i)); break;
                case DataType.Fp64: c.Fp64Contents.Add(Get<double>(i)); break;
                case DataType.Bytes: c.BytesContents.Add(ByteString.CopyFrom(Strings![i])); break;
                default: throw new InvalidOperationException($"{Type} has no typed contents");
            }
        }

        return input;
    }

    public static WireTensor FromGrpc(ModelInferResponse.Types.InferOutputTensor output, ByteString? raw)
    {
        Assert.True(DataTypes.TryParse(output.Datatype, out var type));
        var shape = output.Shape.ToArray();
        if (raw is not null)
        {
            return FromBinary(output.Name, type, shape, raw.Span);
        }

        var c = output.Contents;
        byte[] bytes = type switch
        {
            DataType.Bool => [.. c.BoolContents.Select(b => b ? (byte)1 : (byte)0)],
            DataType.UInt8 => [.. c.UintContents.Select(v => (byte)v)],
            DataType.UInt16 => Bytes(c.UintContents.Select(v => (ushort)v).ToArray()),
            DataType.UInt32 => Bytes(c.UintContents.ToArray()),
            DataType.UInt64 => Bytes(c.Uint64Contents.ToArray()),
            DataType.Int8 => [.. c.IntContents.Select(v => (byte)(sbyte)v)],
            DataType.Int16 => Bytes(c.IntContents.Select(v => (short)v).ToArray()),
            DataType.Int32 => Bytes(c.IntContents.ToArray()),
            DataType.Int64 => Bytes(c.Int64Contents.ToArray()),
            DataType.Fp32 => Bytes(c.Fp32Contents.ToArray()),
            DataType.Fp64 => Bytes(c.Fp64Contents.ToArray()),
            DataType.Bytes => [],
            _ => throw new InvalidOperationException($"{type} has no typed contents"),
        };
        return new WireTensor(output.Name, type, shape, bytes, type == DataType.Bytes ? [.. c.BytesContents.Select(b => b.ToByteArray())] : null);
    }

    /// <summary>Six values of each type, edge cases included (extremes, NaN, infinities, subnormals, non-ASCII text).</summary>
    public static WireTensor Sample(string name, DataType type)
    {
        long[] shape = [2, 3];
        return type switch
        {
            DataType.Bool => new(name, type, shape, [1, 0, 1, 1, 0, 0], null),
            DataType.UInt8 => new(name, type, shape, [0, 1, 127, 128, 254, 255], null),
            DataType.UInt16 => new(name, type, shape, Bytes<ushort>([0, 1, 300, 32768, 65534, 65535]), null),
            DataType.UInt32 => new(name, type, shape, Bytes<uint>([0, 1, 70000, 1u << 31, uint.MaxValue - 1, uint.MaxValue]), null),
            DataType.UInt64 => new(name, type, shape, Bytes<ulong>([0, 1, 1UL << 40, 1UL << 63, ulong.MaxValue - 1, ulong.MaxValue]), null),
            DataType.Int8 => new(name, type, shape, Bytes<sbyte>([-128, -1, 0, 1, 100, 127]), null),
            DataType.Int16 => new(name, type, shape, Bytes<short>([short.MinValue, -1, 0, 1, 1000, short.MaxValue]), null),
            DataType.Int32 => new(name, type, shape, Bytes<int>([int.MinValue, -1, 0, 1, 123456789, int.MaxValue]), null),
            DataType.Int64 => new(name, type, shape, Bytes<long>([long.MinValue, -1, 0, 1, 1L << 53, long.MaxValue]), null),
            DataType.Fp16 => new(name, type, shape, Bytes<Half>([(Half)0, (Half)1.5, (Half)(-2), Half.MaxValue, Half.Epsilon, Half.PositiveInfinity]), null),
            DataType.Bf16 => new(name, type, shape, Bytes<ushort>([0x0000, 0x3F80, 0xC020, 0x4049, 0x7F80, 0xFF80]), null),
            DataType.Fp32 => new(name, type, shape, Bytes<float>([0, -1.5f, float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NaN]), null),
            DataType.Fp64 => new(name, type, shape, Bytes<double>([0, -1.5, double.MaxValue, double.Epsilon, double.NegativeInfinity, double.NaN]), null),
            DataType.Bytes => new(name, type, shape, [], [[], "a"u8.ToArray(), "héllo"u8.ToArray(), "日本語"u8.ToArray(), "x y"u8.ToArray(), [1, 2, 3]]),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    private T Get<T>(int i)
        where T : unmanaged
        => MemoryMarshal.Cast<byte, T>(Data.AsSpan())[i];

    private static void Set<T>(byte[] bytes, int i, T value)
        where T : unmanaged
        => MemoryMarshal.Cast<byte, T>(bytes.AsSpan())[i] = value;

    private static byte[] Bytes<T>(T[] values)
        where T : unmanaged
        => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static void WriteReal(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static double ReadReal(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, var s => throw new FormatException(s) }
        : e.GetDouble();
}
