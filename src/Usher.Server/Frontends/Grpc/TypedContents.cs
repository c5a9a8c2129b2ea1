using System.Runtime.InteropServices;
using Google.Protobuf;
using Usher.Core.Inference;
using Usher.Core.Tensors;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Typed <c>InferTensorContents</c> (protocol §3's table: which repeated field carries which datatype)
/// to and from tensors. FP16 and BF16 have no typed field; they travel only as raw contents.
/// </summary>
internal static class TypedContents
{
    /// <summary>The contents field that carries <paramref name="type"/>, or null for FP16 and BF16.</summary>
    public static string? FieldName(DataType type) => type switch
    {
        DataType.Bool => "bool_contents",
        DataType.UInt8 or DataType.UInt16 or DataType.UInt32 => "uint_contents",
        DataType.UInt64 => "uint64_contents",
        DataType.Int8 or DataType.Int16 or DataType.Int32 => "int_contents",
        DataType.Int64 => "int64_contents",
        DataType.Fp32 => "fp32_contents",
        DataType.Fp64 => "fp64_contents",
        DataType.Bytes => "bytes_contents",
        _ => null,
    };

    public static InferenceResult<Tensor> Read(string name, DataType type, long[] shape, long count, InferTensorContents? contents, RequestMemory memory)
    {
        var field = FieldName(type);
        var owner = $"input '{EchoText.Value(name)}'";
        if (field is null)
        {
            return InferenceError.Invalid($"{owner}: {type.ToProtocolName()} has no typed contents field; send its bytes in raw_input_contents");
        }

        contents ??= new InferTensorContents();
        var wrong = OtherFieldSet(contents, field);
        if (wrong is not null)
        {
            return InferenceError.Invalid($"{owner}: {type.ToProtocolName()} data goes in contents.{field}, got contents.{wrong}");
        }

        var present = Count(contents, type);
        if (present != count)
        {
            return InferenceError.Invalid($"{owner}: shape {TensorShape.Format(shape)} needs {count} elements, got {present} in contents.{field}");
        }

        // Typed contents are copied into the tensor: reserved (and checked) before the copy.
        var decoded = RequestLimits.DecodedBytes(type, count, type == DataType.Bytes ? PayloadBytes(contents) : 0);
        if (memory.ReserveTensor(name, type, shape, decoded, decoded) is { } refused)
        {
            return refused;
        }

        if (type == DataType.Bytes)
        {
            var elements = new byte[count][];
            for (var i = 0; i < elements.Length; i++)
            {
                elements[i] = contents.BytesContents[i].ToByteArray();
            }

            return InferenceResult<Tensor>.Success(Tensor.FromStrings(name, shape, elements));
        }

        var data = new byte[count * type.ElementSize()];
        switch (type)
        {
            case DataType.Bool:
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = contents.BoolContents[i] ? (byte)1 : (byte)0;
                }

                break;
            case DataType.UInt8:
                for (var i = 0; i < data.Length; i++)
                {
                    var value = contents.UintContents[i];
                    if (value > byte.MaxValue)
                    {
                        return OutOfRange(owner, type, i, value);
                    }

                    data[i] = (byte)value;
                }

                break;
            case DataType.UInt16:
                {
                    var values = MemoryMarshal.Cast<byte, ushort>(data.AsSpan());
                    for (var i = 0; i < values.Length; i++)
                    {
                        var value = contents.UintContents[i];
                        if (value > ushort.MaxValue)
                        {
                            return OutOfRange(owner, type, i, value);
                        }

                        values[i] = (ushort)value;
                    }

                    break;
                }

            case DataType.UInt32:
                Copy(contents.UintContents, MemoryMarshal.Cast<byte, uint>(data.AsSpan()));
                break;
            case DataType.UInt64:
                Copy(contents.Uint64Contents, MemoryMarshal.Cast<byte, ulong>(data.AsSpan()));
                break;
            case DataType.Int8:
                {
                    var values = MemoryMarshal.Cast<byte, sbyte>(data.AsSpan());
                    for (var i = 0; i < values.Length; i++)
                    {
                        var value = contents.IntContents[i];
                        if (value is < sbyte.MinValue or > sbyte.MaxValue)
                        {
                            return OutOfRange(owner, type, i, value);
                        }

                        values[i] = (sbyte)value;
                    }

                    break;
                }

            case DataType.Int16:
                {
                    var values = MemoryMarshal.Cast<byte, short>(data.AsSpan());
                    for (var i = 0; i < values.Length; i++)
                    {
                        var value = contents.IntContents[i];
                        if (value is < short.MinValue or > short.MaxValue)
                        {
                            return OutOfRange(owner, type, i, value);
                        }

                        values[i] = (short)value;
                    }

                    break;
                }

            case DataType.Int32:
                Copy(contents.IntContents, MemoryMarshal.Cast<byte, int>(data.AsSpan()));
                break;
            case DataType.Int64:
                Copy(contents.Int64Contents, MemoryMarshal.Cast<byte, long>(data.AsSpan()));
                break;
            case DataType.Fp32:
                Copy(contents.Fp32Contents, MemoryMarshal.Cast<byte, float>(data.AsSpan()));
                break;
            case DataType.Fp64:
                Copy(contents.Fp64Contents, MemoryMarshal.Cast<byte, double>(data.AsSpan()));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "no typed contents field");
        }

        return InferenceResult<Tensor>.Success(Tensor.FromBytes(name, type, shape, data));
    }

    /// <summary>The tensor's elements in the typed field of its datatype; FP16 and BF16 must go raw (the caller checks).</summary>
    public static InferTensorContents Write(Tensor tensor)
    {
        var contents = new InferTensorContents();
        switch (tensor.DataType)
        {
            case DataType.Bool:
                foreach (var b in tensor.Data.Span)
                {
                    contents.BoolContents.Add(b != 0);
                }

                break;
            case DataType.UInt8:
                foreach (var b in tensor.Data.Span)
                {
                    contents.UintContents.Add(b);
                }

                break;
            case DataType.UInt16:
                foreach (var v in tensor.AsSpan<ushort>())
                {
                    contents.UintContents.Add(v);
                }

                break;
            case DataType.UInt32:
                contents.UintContents.AddRange(tensor.AsSpan<uint>().ToArray());
                break;
            case DataType.UInt64:
                contents.Uint64Contents.AddRange(tensor.AsSpan<ulong>().ToArray());
                break;
            case DataType.Int8:
                foreach (var v in tensor.AsSpan<sbyte>())
                {
                    contents.IntContents.Add(v);
                }

                break;
            case DataType.Int16:
                foreach (var v in tensor.AsSpan<short>())
                {
                    contents.IntContents.Add(v);
                }

                break;
            case DataType.Int32:
                contents.IntContents.AddRange(tensor.AsSpan<int>().ToArray());
                break;
            case DataType.Int64:
                contents.Int64Contents.AddRange(tensor.AsSpan<long>().ToArray());
                break;
            case DataType.Fp32:
                contents.Fp32Contents.AddRange(tensor.AsSpan<float>().ToArray());
                break;
            case DataType.Fp64:
                contents.Fp64Contents.AddRange(tensor.AsSpan<double>().ToArray());
                break;
            case DataType.Bytes:
                foreach (var element in tensor.Strings!)
                {
                    contents.BytesContents.Add(UnsafeByteOperations.UnsafeWrap(element));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tensor), tensor.DataType, "FP16 and BF16 have no typed contents field");
        }

        return contents;
    }

    private static long PayloadBytes(InferTensorContents contents)
    {
        long bytes = 0;
        foreach (var element in contents.BytesContents)
        {
            bytes += element.Length;
        }

        return bytes;
    }

    private static void Copy<T>(Google.Protobuf.Collections.RepeatedField<T> from, Span<T> to)
    {
        for (var i = 0; i < to.Length; i++)
        {
            to[i] = from[i];
        }
    }

    private static InferenceError OutOfRange(string owner, DataType type, int index, long value)
        => InferenceError.Invalid($"{owner}: element {index} is {value}, out of range for {type.ToProtocolName()}");

    private static int Count(InferTensorContents contents, DataType type) => type switch
    {
        DataType.Bool => contents.BoolContents.Count,
        DataType.UInt8 or DataType.UInt16 or DataType.UInt32 => contents.UintContents.Count,
        DataType.UInt64 => contents.Uint64Contents.Count,
        DataType.Int8 or DataType.Int16 or DataType.Int32 => contents.IntContents.Count,
        DataType.Int64 => contents.Int64Contents.Count,
        DataType.Fp32 => contents.Fp32Contents.Count,
        DataType.Fp64 => contents.Fp64Contents.Count,
        DataType.Bytes => contents.BytesContents.Count,
        _ => 0,
    };

    private static string? OtherFieldSet(InferTensorContents contents, string field)
    {
        (string Name, int Count)[] fields =
        [
            ("bool_contents", contents.BoolContents.Count),
            ("int_contents", contents.IntContents.Count),
            ("int64_contents", contents.Int64Contents.Count),
            ("uint_contents", contents.UintContents.Count),
            ("uint64_contents", contents.Uint64Contents.Count),
            ("fp32_contents", contents.Fp32Contents.Count),
            ("fp64_contents", contents.Fp64Contents.Count),
            ("bytes_contents", contents.BytesContents.Count),
        ];
        foreach (var (name, count) in fields)
        {
            if (count > 0 && name != field)
            {
                return name;
            }
        }

        return null;
    }
}
