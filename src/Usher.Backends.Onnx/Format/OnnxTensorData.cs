using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Format;

/// <summary>Reads and writes the values of ONNX <c>TensorProto</c>s (initializers) of a model read from a file.</summary>
internal static class OnnxTensorData
{
    /// <summary>The ONNX code of FLOAT.</summary>
    public const int Float = 1;

    /// <summary>The ONNX code of UINT8.</summary>
    public const int UInt8 = 2;

    /// <summary>The ONNX code of INT8.</summary>
    public const int Int8 = 3;

    /// <summary>The ONNX code of FLOAT16.</summary>
    public const int Float16 = 10;

    /// <summary>The number of elements the tensor's dims declare.</summary>
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            count *= d;
        }

        return count;
    }

    /// <summary>True when the values live in a file beside the model rather than in the message.</summary>
    public static bool IsExternal(TensorProto tensor)
        => tensor.HasDataLocation && tensor.DataLocation == TensorProto.Types.DataLocation.External;

    /// <summary>
    /// The values of an FP32 tensor, from <c>raw_data</c> (little-endian) or <c>float_data</c>;
    /// null when the tensor is not FP32, is stored externally, or its data disagrees with its dims.
    /// </summary>
    public static float[]? ReadFloats(TensorProto tensor)
    {
        if (tensor.DataType != Float || IsExternal(tensor))
        {
            return null;
        }

        var count = ElementCount(tensor);
        if (count < 0 || count > Array.MaxLength)
        {
            return null;
        }

        if (tensor.HasRawData)
        {
            var raw = tensor.RawData.Span;
            if (raw.Length != count * sizeof(float))
            {
                return null;
            }

            var values = new float[count];
            if (BitConverter.IsLittleEndian)
            {
                raw.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * sizeof(float))..]);
                }
            }

            return values;
        }

        return tensor.FloatData.Count == count ? [.. tensor.FloatData] : null;
    }

    /// <summary>A tensor of <paramref name="dataType"/> with <paramref name="raw"/> as its little-endian <c>raw_data</c>.</summary>
    public static TensorProto FromRaw(string name, int dataType, IEnumerable<long> dims, ReadOnlySpan<byte> raw)
    {
        var tensor = new TensorProto { Name = name, DataType = dataType, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    /// <summary>An FP32 tensor stored as raw bytes.</summary>
    public static TensorProto FromFloats(string name, IEnumerable<long> dims, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            var bytes = new byte[values.Length * sizeof(float)];
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            }

            return FromRaw(name, Float, dims, bytes);
        }

        return FromRaw(name, Float, dims, MemoryMarshal.AsBytes(values));
    }

    /// <summary>An FP16 tensor stored as raw bytes (little-endian halves).</summary>
    public static TensorProto FromHalves(string name, IEnumerable<long> dims, ReadOnlySpan<Half> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), values[i]);
        }

        return FromRaw(name, Float16, dims, bytes);
    }
}
