using System.Buffers;

namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Two-sample Kolmogorov-Smirnov test, two-sided.
/// <para>
/// Exact p when n_a·n_b ≤ <see cref="ExactThreshold"/>: the probability that a uniformly random
/// interleaving of the two samples (a lattice path from (0,0) to (n_a,n_b)) reaches a point with
/// |i·n_b − j·n_a| ≥ D·n_a·n_b, as scipy's <c>ks_2samp(method="exact")</c>; it assumes no ties, as scipy
/// does. The walk costs O(n_a·n_b), which is why larger samples use the asymptotic p.
/// </para>
/// <para>
/// Asymptotic otherwise: Kolmogorov's Q(λ) = 2Σ_{k≥1}(−1)^{k−1}e^{−2k²λ²} with Stephens' small-sample
/// correction λ = (√n_e + 0.12 + 0.11/√n_e)·D, n_e = n_a n_b/(n_a + n_b).
/// </para>
/// </summary>
internal static class KolmogorovSmirnov
{
    /// <summary>Largest n_a·n_b for which the exact p-value is computed (about 10⁷ steps, tens of ms).</summary>
    public const long ExactThreshold = 10_000_000;

    /// <summary>
    /// Tests whether <paramref name="a"/> and <paramref name="b"/> come from one distribution.
    /// Both need at least one value and no NaN (<see cref="ArgumentException"/> otherwise).
    /// </summary>
    public static KolmogorovSmirnovResult Test(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count == 0 || b.Count == 0)
        {
            throw new ArgumentException($"Kolmogorov-Smirnov needs values in both samples, got {a.Count} and {b.Count}");
        }

        var sortedA = a.ToArray();
        var sortedB = b.ToArray();
        Array.Sort(sortedA);
        Array.Sort(sortedB);
        return TestSorted(sortedA, sortedB);
    }

    /// <summary>Tests samples already sorted ascending (nothing is copied); as <see cref="Test"/>, NaN is refused.</summary>
    public static KolmogorovSmirnovResult TestSorted(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        if (sortedA.IsEmpty || sortedB.IsEmpty)
        {
            throw new ArgumentException($"Kolmogorov-Smirnov needs values in both samples, got {sortedA.Length} and {sortedB.Length}");
        }

        long m = sortedA.Length, n = sortedB.Length;

        // D in integer units of 1/(m·n): at every distinct value, |i·n − j·m| with i, j the counts ≤ value.
        int i = 0, j = 0;
        long dScaled = 0;
        while (i < m || j < n)
        {
            var fromA = j >= n || (i < m && sortedA[i] <= sortedB[j]);
            var value = fromA ? sortedA[i] : sortedB[j];
            if (double.IsNaN(value))
            {
                // NaN equals nothing, itself included: the walk would never step past it.
                throw new ArgumentException($"Kolmogorov-Smirnov needs numbers: sample {(fromA ? "a" : "b")} holds NaN at index {(fromA ? i : j)} (sorted); leave NaN out of both samples");
            }

            while (i < m && sortedA[i] == value)
            {
                i++;
            }

            while (j < n && sortedB[j] == value)
            {
                j++;
            }

            dScaled = Math.Max(dScaled, Math.Abs((i * n) - (j * m)));
        }

        var d = (double)dScaled / (m * n);
        if (dScaled == 0)
        {
            return new KolmogorovSmirnovResult(0, 1.0, m * n <= ExactThreshold);
        }

        return m * n <= ExactThreshold
            ? new KolmogorovSmirnovResult(d, ExactPValue((int)m, (int)n, dScaled), true)
            : new KolmogorovSmirnovResult(d, AsymptoticPValue(m, n, d), false);
    }

    private static double ExactPValue(int m, int n, long dScaled)
    {
        // prob[j] is the chance of being at (i, j) without having touched the boundary; mass that steps
        // onto the boundary is added to 'outside' and stops there. Steps draw without replacement, so
        // every interleaving is equally likely.
        // Rented: up to ExactThreshold / m + 1 values, on every analysis tick while the window is small enough.
        var rented = ArrayPool<double>.Shared.Rent(n + 1);
        try
        {
            return ExactPValue(m, n, dScaled, rented.AsSpan(0, n + 1));
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    private static double ExactPValue(int m, int n, long dScaled, Span<double> prob)
    {
        prob.Clear();
        prob[0] = 1.0;
        var outside = 0.0;
        for (var i = 0; i <= m; i++)
        {
            for (var j = 0; j <= n; j++)
            {
                if (i == 0 && j == 0)
                {
                    continue;
                }

                var left = j > 0 ? prob[j - 1] * (n - j + 1) / (double)(m + n - i - j + 1) : 0.0;
                var fromBelow = i > 0 ? prob[j] * (m - i + 1) / (double)(m + n - i - j + 1) : 0.0;
                var arriving = left + fromBelow;
                if (Math.Abs(((long)i * n) - ((long)j * m)) >= dScaled)
                {
                    outside += arriving;
                    prob[j] = 0.0;
                }
                else
                {
                    prob[j] = arriving;
                }
            }
        }

        return Math.Min(1.0, outside);
    }

    private static double AsymptoticPValue(long m, long n, double d)
    {
        var ne = (double)m * n / (m + n);
        var sqrtNe = Math.Sqrt(ne);
        var lambda = (sqrtNe + 0.12 + (0.11 / sqrtNe)) * d;
        if (lambda < 0.2)
        {
            return 1.0;
        }

        var sum = 0.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += k % 2 == 1 ? term : -term;
            if (term < 1e-16 * Math.Abs(sum))
            {
                break;
            }
        }

        return Math.Clamp(2 * sum, 0.0, 1.0);
    }
}
