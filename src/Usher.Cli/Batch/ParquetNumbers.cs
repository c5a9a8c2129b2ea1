using System.Numerics;
using System.Runtime.InteropServices;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>A column chunk's numbers of type <typeparamref name="T"/>, in the reading source's buffer (<see cref="ParquetReadBuffers"/>).</summary>
internal sealed class ParquetNumbers<T>(T[] values) : ParquetValues
    where T : struct, INumberBase<T>
{

    /// <inheritdoc />
    public override bool AreNumbers => true;

    /// <inheritdoc />
    public override Type ElementType => typeof(T);

    /// <inheritdoc />
    public override double Number(int index) => double.CreateTruncating(values[index]);

    /// <inheritdoc />
    public override string? CopyNumbers(int first, Span<byte> row, BatchTensor tensor, string column)
    {
        // FP32 into FP32 (and FP64 into FP64): one block copy, then a check that every value is finite,
        // rather than a conversion per value (mlp-large reads 1,024 floats per row).
        if (SameType(tensor.DataType))
        {
            var source = values.AsSpan(first, tensor.Width);
            MemoryMarshal.AsBytes(source).CopyTo(row);
            var bad = FiniteValues.FirstNonFinite(source);
            return bad < 0 ? null : CellValues.Check(double.CreateTruncating(source[bad]), tensor.DataType, column);
        }

        return base.CopyNumbers(first, row, tensor, column);
    }

    /// <inheritdoc />
    public override bool TryCopyBlock(int first, int count, Span<byte> target, BatchTensor tensor)
    {
        if (!SameType(tensor.DataType))
        {
            return false;
        }

        var source = values.AsSpan(first, count);
        MemoryMarshal.AsBytes(source).CopyTo(target);
        return FiniteValues.FirstNonFinite(source) < 0;
    }

    /// <inheritdoc />
    public override object? Box(int index) => values[index];

    private static bool SameType(DataType type) => (typeof(T) == typeof(float) && type == DataType.Fp32) || (typeof(T) == typeof(double) && type == DataType.Fp64);

}
