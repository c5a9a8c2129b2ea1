using System.Buffers.Binary;
using Usher.Core.Tensors;

namespace Usher.Server.RequestLogging;

/// <summary>
/// A tensor's elements as one byte array, as the Parquet request log stores them: fixed-size types as
/// their little-endian bytes; BYTES as each element's length (4 bytes, little-endian) and bytes.
/// </summary>
internal static class TensorBytes
{
    /// <summary>The tensor's elements as bytes.</summary>
    public static byte[] Encode(Tensor tensor)
    {
        if (tensor.DataType != DataType.Bytes)
        {
            return tensor.Data.ToArray();
        }

        var elements = tensor.Strings ?? [];
        var bytes = new byte[elements.Sum(e => 4L + e.Length)];
        var at = 0;
        foreach (var element in elements)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), element.Length);
            element.CopyTo(bytes, at + 4);
            at += 4 + element.Length;
        }

        return bytes;
    }

    /// <summary>The tensor <paramref name="bytes"/> encode.</summary>
    /// <exception cref="InvalidDataException">The bytes do not fit the datatype and shape.</exception>
    public static Tensor Decode(string name, DataType type, long[] shape, byte[] bytes)
    {
        if (type != DataType.Bytes)
        {
            try
            {
                return Tensor.FromBytes(name, type, shape, bytes);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException(ex.Message, ex);
            }
        }

        var count = TensorShape.ElementCount(shape);
        var elements = new List<byte[]>();
        var at = 0;
        while (at < bytes.Length && elements.Count < count)
        {
            var length = at + 4 <= bytes.Length ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)) : -1;
            if (length < 0 || at + 4 + length > bytes.Length)
            {
                throw new InvalidDataException($"tensor '{name}': BYTES element {elements.Count} runs past the end of its data");
            }

            elements.Add(bytes.AsSpan(at + 4, length).ToArray());
            at += 4 + length;
        }

        if (elements.Count != count || at != bytes.Length)
        {
            throw new InvalidDataException($"tensor '{name}': BYTES {TensorShape.Format(shape)} needs {count} elements, the data holds {elements.Count}");
        }

        return Tensor.FromStrings(name, shape, [.. elements]);
    }

    /// <summary>A shape as the Parquet log stores it: <c>1,30</c> (empty for a scalar).</summary>
    public static string FormatShape(long[] shape) => string.Join(',', shape);

    /// <summary>A shape stored by <see cref="FormatShape"/>.</summary>
    /// <exception cref="InvalidDataException">Not a list of dimensions.</exception>
    public static long[] ParseShape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var parts = text.Split(',');
        var shape = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new InvalidDataException($"shape '{text}' is not a list of dimensions");
            }
        }

        return shape;
    }
}
