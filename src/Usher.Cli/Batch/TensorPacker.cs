using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>A chunk's values in the model's datatypes: written as read, and cut into input batches.</summary>
internal static class TensorPacker
{
    /// <summary>The bytes <see cref="Pack"/> needs for <paramref name="rows"/> rows of <paramref name="tensor"/>.</summary>
    public static int Bytes(BatchTensor tensor, int rows) => checked(rows * tensor.Width * tensor.DataType.ElementSize());

    /// <summary>
    /// A tensor of <paramref name="tensor"/>'s type and shape [rows, ...] holding the rows <paramref name="rows"/>
    /// (ascending) of <paramref name="values"/> (a chunk's values of this input, row-major in the input's datatype).
    /// Consecutive rows (a batch with no failed row among them) are a slice of <paramref name="values"/>: no copy,
    /// and <paramref name="rented"/> is null. Otherwise they are copied into a buffer rented from
    /// <paramref name="pool"/>, which the caller gives back once the tensor has been used.
    /// </summary>
    public static Tensor Pack(BatchTensor tensor, byte[] values, ReadOnlySpan<int> rows, ArrayPool<byte> pool, out byte[]? rented)
    {
        var rowBytes = Bytes(tensor, 1);
        long[] shape = [rows.Length, .. tensor.Shape.AsSpan(1)];
        if (rows.Length > 0 && rows[^1] - rows[0] == rows.Length - 1)
        {
            rented = null;
            return Tensor.FromBytes(tensor.Name, tensor.DataType, shape, values.AsMemory(rows[0] * rowBytes, rows.Length * rowBytes));
        }

        rented = pool.Rent(Bytes(tensor, rows.Length));
        for (var i = 0; i < rows.Length; i++)
        {
            values.AsSpan(rows[i] * rowBytes, rowBytes).CopyTo(rented.AsSpan(i * rowBytes));
        }

        return Tensor.FromBytes(tensor.Name, tensor.DataType, shape, rented.AsMemory(0, rows.Length * rowBytes));
    }

    /// <summary>Writes <paramref name="value"/> (already checked to fit <paramref name="type"/>) as element <paramref name="index"/> of <paramref name="row"/>.</summary>
    public static void Write(Span<byte> row, DataType type, int index, double value)
    {
        switch (type)
        {
            case DataType.Fp32: MemoryMarshal.Cast<byte, float>(row)[index] = (float)value; break;
            case DataType.Fp64: MemoryMarshal.Cast<byte, double>(row)[index] = value; break;
            default:
                var size = type.ElementSize();
                WriteInteger(row.Slice(index * size, size), type, value);
                break;
        }
    }

    private static void WriteInteger(Span<byte> target, DataType type, double value)
    {
        switch (type)
        {
            case DataType.Bool:
            case DataType.UInt8: target[0] = (byte)value; break;
            case DataType.Int8: target[0] = unchecked((byte)(sbyte)value); break;
            case DataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(target, (ushort)value); break;
            case DataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(target, (short)value); break;
            case DataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)value); break;
            case DataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(target, (int)value); break;
            case DataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(target, (ulong)value); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(target, (long)value); break;
        }
    }
}
