using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>Packs the chosen rows of a chunk into one input tensor of the model's datatype.</summary>
internal static class TensorPacker
{
    /// <summary>The bytes <see cref="Pack"/> needs for <paramref name="rows"/> rows of <paramref name="tensor"/>.</summary>
    public static int Bytes(BatchTensor tensor, int rows) => checked(rows * tensor.Width * tensor.DataType.ElementSize());

    /// <summary>
    /// A tensor of <paramref name="tensor"/>'s type and shape [rows, ...] from the rows
    /// <paramref name="rows"/> of <paramref name="values"/> (row-major, <see cref="BatchTensor.Width"/> per row),
    /// written into <paramref name="buffer"/> (at least <see cref="Bytes"/> long), which the tensor then uses.
    /// </summary>
    public static Tensor Pack(BatchTensor tensor, ReadOnlySpan<double> values, ReadOnlySpan<int> rows, byte[] buffer)
    {
        var width = tensor.Width;
        var size = tensor.DataType.ElementSize();
        var bytes = buffer.AsMemory(0, Bytes(tensor, rows.Length));
        var span = bytes.Span;
        var at = 0;
        foreach (var row in rows)
        {
            var source = values.Slice(row * width, width);
            switch (tensor.DataType)
            {
                case DataType.Fp32:
                    var floats = MemoryMarshal.Cast<byte, float>(span.Slice(at * 4, width * 4));
                    for (var i = 0; i < width; i++)
                    {
                        floats[i] = (float)source[i];
                    }

                    break;
                case DataType.Fp64:
                    source.CopyTo(MemoryMarshal.Cast<byte, double>(span.Slice(at * 8, width * 8)));
                    break;
                default:
                    for (var i = 0; i < width; i++)
                    {
                        WriteInteger(span.Slice((at + i) * size, size), tensor.DataType, source[i]);
                    }

                    break;
            }

            at += width;
        }

        long[] shape = [rows.Length, .. tensor.Shape.AsSpan(1)];
        return Tensor.FromBytes(tensor.Name, tensor.DataType, shape, bytes);
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
