using Usher.Core.Tensors;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Whether two versions' answers to the same request agree: floating-point outputs within an
/// absolute tolerance per element, every other datatype (labels, strings) exactly.
/// </summary>
internal static class OutputAgreement
{
    /// <summary>Null when the outputs agree, else what differs (the output and the largest difference).</summary>
    public static string? Compare(IReadOnlyList<Tensor> expected, IReadOnlyList<Tensor> actual, double tolerance, IReadOnlyCollection<string> only)
    {
        foreach (var e in expected.Where(t => only.Count == 0 || only.Contains(t.Name)))
        {
            var a = actual.FirstOrDefault(t => t.Name == e.Name);
            if (a is null)
            {
                return $"output '{e.Name}' is missing from the new version's answer";
            }

            if (a.DataType != e.DataType || !a.Shape.SequenceEqual(e.Shape))
            {
                return $"output '{e.Name}': {e.DataType} [{string.Join(",", e.Shape)}] became {a.DataType} [{string.Join(",", a.Shape)}]";
            }

            var difference = MaxDifference(e, a);
            if (difference > tolerance)
            {
                return $"output '{e.Name}' differs by up to {difference:G4} (tolerance {tolerance:G4})";
            }
        }

        return null;
    }

    private static double MaxDifference(Tensor e, Tensor a)
    {
        switch (e.DataType)
        {
            case DataType.Fp32:
                return Max(e.AsSpan<float>(), a.AsSpan<float>(), x => x);
            case DataType.Fp64:
                return Max(e.AsSpan<double>(), a.AsSpan<double>(), x => x);
            case DataType.Fp16:
                return Max(e.AsSpan<Half>(), a.AsSpan<Half>(), x => (double)x);
            case DataType.Bytes:
                var es = e.Strings ?? [];
                var @as = a.Strings ?? [];
                return es.Length == @as.Length && es.Zip(@as).All(p => p.First.AsSpan().SequenceEqual(p.Second)) ? 0 : double.PositiveInfinity;
            default:
                return e.Data.Span.SequenceEqual(a.Data.Span) ? 0 : double.PositiveInfinity;
        }
    }

    private static double Max<T>(ReadOnlySpan<T> e, ReadOnlySpan<T> a, Func<T, double> value)
    {
        var max = 0.0;
        for (var i = 0; i < e.Length; i++)
        {
            var d = Math.Abs(value(e[i]) - value(a[i]));
            if (double.IsNaN(d))
            {
                return double.PositiveInfinity;
            }

            max = Math.Max(max, d);
        }

        return max;
    }
}
