namespace Usher.ControlPlane.Tests.Analysis;

/// <summary>Closeness assertions for numbers quoted to a given precision.</summary>
internal static class Approx
{
    /// <summary>|expected − actual| within <paramref name="tolerance"/>.</summary>
    public static void Equal(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R} ± {tolerance:R}, got {actual:R}");

    /// <summary>Within a relative tolerance of <paramref name="expected"/>.</summary>
    public static void Relative(double expected, double actual, double relative = 1e-6) =>
        Equal(expected, actual, Math.Abs(expected) * relative);
}
