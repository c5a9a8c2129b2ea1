using System.Numerics;

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
    public override void CopyNumbers(int first, Span<double> destination)
    {
        var source = values.AsSpan(first, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = double.CreateTruncating(source[i]);
        }
    }

    /// <inheritdoc />
    public override object? Box(int index) => values[index];

}
