using System.Globalization;
using BenchmarkDotNet.Attributes;
using Usher.Server.Frontends.Http;

namespace Usher.Benchmarks.Frontends;

/// <summary>
/// The shortest round-trip text of 1,024 floats (one <c>mlp-large</c> answer), written into one
/// buffer: the runtime's <c>float.TryFormat</c> (what the response writer called per element before)
/// against <see cref="ShortestSingle"/> (Ryu's digits, the same text). Two sets of values: outputs
/// of a model (uniform in [-1, 1], nine significant digits mostly) and values whose shortest form is
/// short (multiples of 1/64).
/// </summary>
[MemoryDiagnoser]
public class FloatFormatBenchmarks
{
    private readonly byte[] _buffer = new byte[1024 * (ShortestSingle.MaxLength + 1)];
    private float[] _values = null!;

    /// <summary>Which values: "model" (uniform in [-1, 1]) or "short" (multiples of 1/64 in [-16, 16]).</summary>
    [Params("model", "short")]
    public string Values { get; set; } = "model";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _values = new float[1024];
        for (var i = 0; i < _values.Length; i++)
        {
            _values[i] = Values == "model" ? (float)((random.NextDouble() * 2) - 1) : random.Next(-1024, 1025) / 64f;
        }
    }

    [Benchmark(Baseline = true)]
    public int RuntimeTryFormat()
    {
        var used = 0;
        foreach (var value in _values)
        {
            value.TryFormat(_buffer.AsSpan(used), out var written, default, CultureInfo.InvariantCulture);
            used += written;
            _buffer[used++] = (byte)',';
        }

        return used;
    }

    [Benchmark]
    public int Shortest()
    {
        var used = 0;
        foreach (var value in _values)
        {
            used += ShortestSingle.Format(value, _buffer.AsSpan(used));
            _buffer[used++] = (byte)',';
        }

        return used;
    }
}
