using System.Buffers;
using System.Buffers.Binary;
using Usher.Core.Inference;

namespace Usher.Server.Frontends;

/// <summary>
/// The binary form of a BYTES tensor, shared by the REST binary extension and gRPC raw contents:
/// per element a 4-byte little-endian unsigned length, then that many bytes.
/// </summary>
internal static class BytesElements
{
    /// <summary>Splits <paramref name="data"/> into exactly <paramref name="count"/> elements; <paramref name="owner"/> names the tensor in errors.</summary>
    public static InferenceResult<byte[][]> Read(ReadOnlySpan<byte> data, long count, string owner)
    {
        if (count > data.Length / 4)
        {
            return InferenceError.Invalid($"{owner}: BYTES data of {data.Length} bytes cannot hold {count} elements (each needs a 4-byte length)");
        }

        var elements = new byte[count][];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (data.Length - offset < 4)
            {
                return InferenceError.Invalid($"{owner}: BYTES data ends inside the length of element {i} of {count}");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            offset += 4;
            if (length > (uint)(data.Length - offset))
            {
                return InferenceError.Invalid($"{owner}: BYTES element {i} says it has {length} bytes, but only {data.Length - offset} remain");
            }

            elements[i] = data.Slice(offset, (int)length).ToArray();
            offset += (int)length;
        }

        if (offset != data.Length)
        {
            return InferenceError.Invalid($"{owner}: BYTES data has {data.Length - offset} bytes left over after its {count} elements");
        }

        return InferenceResult<byte[][]>.Success(elements);
    }

    /// <summary>The size of the binary form of <paramref name="elements"/>.</summary>
    public static long Size(byte[][] elements)
    {
        long size = 0;
        foreach (var element in elements)
        {
            size += 4 + element.Length;
        }

        return size;
    }

    /// <summary>Writes the binary form of <paramref name="elements"/> to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, byte[][] elements)
    {
        foreach (var element in elements)
        {
            var span = output.GetSpan(4 + element.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)element.Length);
            element.CopyTo(span[4..]);
            output.Advance(4 + element.Length);
        }
    }

    /// <summary>The binary form of <paramref name="elements"/> as one array.</summary>
    public static byte[] ToArray(byte[][] elements)
    {
        var bytes = new byte[Size(elements)];
        var offset = 0;
        foreach (var element in elements)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), (uint)element.Length);
            element.CopyTo(bytes, offset + 4);
            offset += 4 + element.Length;
        }

        return bytes;
    }
}
