using System.Text;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Api;

/// <summary>A tensor of a disagreement, its first <see cref="MaxValues"/> values shown.</summary>
/// <param name="Name">The input or output.</param>
/// <param name="Datatype">Its protocol datatype (<c>FP32</c>).</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Data">Its first values: numbers (null where not finite) or strings; none for other datatypes.</param>
/// <param name="Truncated">Whether values were cut.</param>
public sealed record TensorDto(string? Name, string? Datatype, IReadOnlyList<long>? Shape, IReadOnlyList<object?>? Data, bool Truncated)
{
    /// <summary>Values shown per tensor; the rest is cut (<c>"truncated": true</c>).</summary>
    public const int MaxValues = 64;

    /// <summary>The wire form of <paramref name="t"/>.</summary>
    internal static TensorDto From(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var data = Values(t);
        return new TensorDto(t.Name, t.DataType.ToProtocolName(), [.. t.Shape], data, data.Count < t.ElementCount);
    }

    private static List<object?> Values(Tensor t) => t.DataType switch
    {
        DataType.Fp32 => Take(t.AsSpan<float>(), v => Number(v)),
        DataType.Fp64 => Take(t.AsSpan<double>(), Number),
        DataType.Int64 => Take(t.AsSpan<long>(), v => v),
        DataType.Int32 => Take(t.AsSpan<int>(), v => (long)v),
        DataType.Bytes => [.. (t.Strings ?? []).Take(MaxValues).Select(s => (object?)Encoding.UTF8.GetString(s))],
        // Other datatypes are shown by name and shape only.
        _ => [],
    };

    private static object? Number(double value) => double.IsFinite(value) ? value : null;

    private static List<object?> Take<T>(ReadOnlySpan<T> values, Func<T, object?> box)
        where T : unmanaged
    {
        var n = Math.Min(values.Length, MaxValues);
        var list = new List<object?>(n);
        for (var i = 0; i < n; i++)
        {
            list.Add(box(values[i]));
        }

        return list;
    }
}
