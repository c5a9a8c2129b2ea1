using System.Runtime.InteropServices;

namespace Usher.Core.Tensors;

/// <summary>
/// A named tensor: row-major, without padding. Fixed-size element types keep their elements as
/// little-endian bytes in <see cref="Data"/>; <see cref="DataType.Bytes"/> keeps one byte array per
/// element in <see cref="Strings"/>. Instances are treated as immutable once built.
/// </summary>
internal sealed class Tensor
{
    private Tensor(string name, DataType dataType, long[] shape, ReadOnlyMemory<byte> data, byte[][]? strings)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Data = data;
        Strings = strings;
    }

    /// <summary>The tensor's name (an input or output name of the model).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public DataType DataType { get; }

    /// <summary>The concrete shape; empty for a scalar. Not to be modified.</summary>
    public long[] Shape { get; }

    /// <summary>The elements as little-endian bytes; empty for <see cref="DataType.Bytes"/>.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements of a <see cref="DataType.Bytes"/> tensor; null for other types.</summary>
    public byte[][]? Strings { get; }

    /// <summary>The number of elements (product of the shape).</summary>
    public long ElementCount => TensorShape.ElementCount(Shape);

    /// <summary>A tensor of a fixed-size element type over little-endian bytes.</summary>
    /// <exception cref="ArgumentException">When the byte count disagrees with shape and datatype.</exception>
    public static Tensor FromBytes(string name, DataType dataType, long[] shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (dataType == DataType.Bytes)
        {
            throw new ArgumentException("BYTES tensors hold one array per element: use FromStrings", nameof(dataType));
        }

        var expected = TensorShape.ElementCount(shape) * dataType.ElementSize();
        if (expected != data.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': {dataType.ToProtocolName()} {TensorShape.Format(shape)} needs {expected} bytes, got {data.Length}",
                nameof(data));
        }

        return new Tensor(name, dataType, shape, data, null);
    }

    /// <summary>A tensor of unmanaged elements (copied).</summary>
    public static Tensor FromSpan<T>(string name, DataType dataType, long[] shape, ReadOnlySpan<T> values)
        where T : unmanaged
        => FromBytes(name, dataType, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>A <see cref="DataType.Bytes"/> tensor.</summary>
    public static Tensor FromStrings(string name, long[] shape, byte[][] elements)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(elements);
        if (TensorShape.ElementCount(shape) != elements.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': BYTES {TensorShape.Format(shape)} needs {TensorShape.ElementCount(shape)} elements, got {elements.Length}",
                nameof(elements));
        }

        return new Tensor(name, DataType.Bytes, shape, ReadOnlyMemory<byte>.Empty, elements);
    }

    /// <summary>The elements reinterpreted as <typeparamref name="T"/> (this machine is little-endian).</summary>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged
        => MemoryMarshal.Cast<byte, T>(Data.Span);

    /// <summary>The same data under another name (outputs renamed by config overrides, for one).</summary>
    public Tensor WithName(string name) => new(name, DataType, Shape, Data, Strings);
}
