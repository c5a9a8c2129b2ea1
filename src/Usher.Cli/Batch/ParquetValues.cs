namespace Usher.Cli.Batch;

/// <summary>
/// The non-null values of one column chunk, as Parquet.Net decoded them, in the source's buffer:
/// read as numbers for the inputs (converted one row at a time, so no second, wider copy of the
/// column is made) or boxed as they are for kept columns.
/// </summary>
internal abstract class ParquetValues
{
    /// <summary>True when the values are numbers (or booleans, read as 0 and 1).</summary>
    public abstract bool AreNumbers { get; }

    /// <summary>The CLR type of the values, for messages.</summary>
    public abstract Type ElementType { get; }

    /// <summary>Value <paramref name="index"/> as a number.</summary>
    public abstract double Number(int index);

    /// <summary>
    /// Writes values [<paramref name="first"/>, +width) into <paramref name="row"/> in <paramref name="tensor"/>'s
    /// datatype, each checked to fit it; null when all do, else the reason for the first that does not.
    /// </summary>
    public virtual string? CopyNumbers(int first, Span<byte> row, BatchTensor tensor, string column)
    {
        for (var i = 0; i < tensor.Width; i++)
        {
            var value = Number(first + i);
            if (CellValues.Check(value, tensor.DataType, column) is { } error)
            {
                return error;
            }

            TensorPacker.Write(row, tensor.DataType, i, value);
        }

        return null;
    }

    /// <summary>
    /// Copies values [<paramref name="first"/>, +<paramref name="count"/>) into <paramref name="target"/> as one block when they
    /// are already in <paramref name="tensor"/>'s datatype; true when they were and every one is finite. False leaves
    /// <paramref name="target"/> to be written again row by row (<see cref="CopyNumbers"/>), which names what does not fit.
    /// </summary>
    public virtual bool TryCopyBlock(int first, int count, Span<byte> target, BatchTensor tensor) => false;

    /// <summary>Value <paramref name="index"/> as it is.</summary>
    public abstract object? Box(int index);

}
