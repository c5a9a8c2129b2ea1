using System.Buffers;

namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The values of one variant's sample that a check keeps (finite, and for latencies non-negative),
/// sorted ascending in a buffer rented from <see cref="ArrayPool{T}.Shared"/>, with their sum taken in
/// the sample's own order (so a mean is the one a plain <c>Average</c> of the kept values gives). An
/// analysis tick reads a full window every second: copying each variant's samples into fresh arrays
/// moved about 2 MB per tick through the large object heap; a rented buffer is reused from tick to
/// tick. Dispose returns the buffer; the values are not to be read afterwards.
/// </summary>
internal readonly struct SortedSample : IDisposable
{
    private readonly double[] _buffer;

    private SortedSample(double[] buffer, int count, double sum)
    {
        _buffer = buffer;
        Count = count;
        Sum = sum;
    }

    /// <summary>How many values were kept.</summary>
    public int Count { get; }

    /// <summary>The kept values' sum, added in the sample's order.</summary>
    public double Sum { get; }

    /// <summary>The kept values, ascending.</summary>
    public ReadOnlySpan<double> Values => _buffer.AsSpan(0, Count);

    /// <summary>The finite, non-negative values of <paramref name="latenciesMs"/>, sorted.</summary>
    public static SortedSample OfLatencies(IReadOnlyList<double> latenciesMs) => Of(latenciesMs, nonNegative: true);

    /// <summary>The finite values of <paramref name="scores"/>, sorted.</summary>
    public static SortedSample OfScores(IReadOnlyList<double> scores) => Of(scores, nonNegative: false);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer is { Length: > 0 })
        {
            ArrayPool<double>.Shared.Return(_buffer);
        }
    }

    private static SortedSample Of(IReadOnlyList<double> values, bool nonNegative)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new SortedSample([], 0, 0);
        }

        var buffer = ArrayPool<double>.Shared.Rent(values.Count);
        var count = 0;
        var sum = 0.0;
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            if (double.IsFinite(value) && (!nonNegative || value >= 0))
            {
                buffer[count++] = value;
                sum += value;
            }
        }

        buffer.AsSpan(0, count).Sort();
        return new SortedSample(buffer, count, sum);
    }
}
