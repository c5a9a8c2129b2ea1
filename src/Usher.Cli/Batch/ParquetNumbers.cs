using System.Buffers;
using System.Numerics;

namespace Usher.Cli.Batch;

/// <summary>A column chunk's numbers of type <typeparamref name="T"/> in a buffer rented from the shared pool.</summary>
internal sealed class ParquetNumbers<T>(T[] rented) : ParquetValues
    where T : struct, INumberBase<T>
{
    private T[]? _values = rented;

    /// <inheritdoc />
    public override bool AreNumbers => true;

    /// <inheritdoc />
    public override Type ElementType => typeof(T);

    private T[] Values => _values ?? throw new ObjectDisposedException(nameof(ParquetNumbers<T>));

    /// <inheritdoc />
    public override double Number(int index) => double.CreateTruncating(Values[index]);

    /// <inheritdoc />
    public override void CopyNumbers(int first, Span<double> destination)
    {
        var source = Values.AsSpan(first, destination.Length);
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = double.CreateTruncating(source[i]);
        }
    }

    /// <inheritdoc />
    public override object? Box(int index) => Values[index];

    /// <inheritdoc />
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _values, null) is { } values)
        {
            ArrayPool<T>.Shared.Return(values);
        }
    }
}
