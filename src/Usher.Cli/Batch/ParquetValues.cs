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

    /// <summary>Values [<paramref name="first"/>, <paramref name="first"/> + <paramref name="destination"/>.Length) as numbers.</summary>
    public abstract void CopyNumbers(int first, Span<double> destination);

    /// <summary>Value <paramref name="index"/> as it is.</summary>
    public abstract object? Box(int index);

}
