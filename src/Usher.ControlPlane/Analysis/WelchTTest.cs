using MathNet.Numerics.Distributions;

namespace Usher.ControlPlane.Analysis;

/// <summary>Welch's unequal-variance t-test with the CI of the difference of means (statistics.md §3a).</summary>
internal static class WelchTTest
{
    /// <summary>Tests b − a; each sample needs at least two values and the two may not both be constant.</summary>
    public static WelchTTestResult Test(IReadOnlyList<double> a, IReadOnlyList<double> b, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count < 2 || b.Count < 2)
        {
            throw new ArgumentException($"Welch's t-test needs two values per sample, got {a.Count} and {b.Count}");
        }

        var (m1, v1) = MeanAndVariance(a);
        var (m2, v2) = MeanAndVariance(b);
        return Test(m1, v1, a.Count, m2, v2, b.Count, confidence);
    }

    /// <summary>Tests b − a from summary statistics (sample variances with n − 1 denominators), as an experiment's running totals give them.</summary>
    public static WelchTTestResult Test(double m1, double v1, long n1, double m2, double v2, long n2, double confidence = 0.95)
    {
        if (n1 < 2 || n2 < 2)
        {
            throw new ArgumentException($"Welch's t-test needs two values per sample, got {n1} and {n2}");
        }

        var q1 = v1 / n1;
        var q2 = v2 / n2;
        var se = Math.Sqrt(q1 + q2);
        if (se == 0)
        {
            throw new ArgumentException("Welch's t-test is undefined when both samples are constant");
        }

        var nu = (q1 + q2) * (q1 + q2) / ((q1 * q1 / (n1 - 1)) + (q2 * q2 / (n2 - 1)));
        var t = (m2 - m1) / se;
        var p = 2 * StudentT.CDF(0, 1, nu, -Math.Abs(t));
        var half = StudentT.InvCDF(0, 1, nu, 1 - ((1 - confidence) / 2)) * se;
        return new WelchTTestResult(m1, m2, v1, v2, se, nu, t, Math.Min(1.0, p), m2 - m1 - half, m2 - m1 + half);
    }

    private static (double Mean, double Variance) MeanAndVariance(IReadOnlyList<double> values)
    {
        var mean = 0.0;
        foreach (var v in values)
        {
            mean += v;
        }

        mean /= values.Count;
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return (mean, sum / (values.Count - 1));
    }
}
