namespace Usher.Cli.Batch;

/// <summary>A column chunk's values that are not numbers to a model (text, timestamps), or booleans (read as 0 and 1): kept as they are.</summary>
internal sealed class ParquetObjects<T>(T[] values) : ParquetValues
{
    /// <inheritdoc />
    public override bool AreNumbers => typeof(T) == typeof(bool);

    /// <inheritdoc />
    public override Type ElementType => typeof(T);

    /// <inheritdoc />
    public override double Number(int index) => values[index] is true ? 1.0 : 0.0;

    /// <inheritdoc />
    public override object? Box(int index) => values[index];

}
