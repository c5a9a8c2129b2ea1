using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class KolmogorovSmirnovTests
{
    [Theory]
    [InlineData(new[] { 1.0, double.NaN, 3.0 }, new[] { 2.0, 4.0 }, "sample a holds NaN at index 0")]
    [InlineData(new[] { 1.0, 3.0 }, new[] { 2.0, 4.0, double.NaN }, "sample b holds NaN at index 0")]
    [InlineData(new[] { double.NaN }, new[] { double.NaN }, "holds NaN")]
    public async Task Test_NaNInASample_IsRefusedNamingTheSample(double[] a, double[] b, string expected)
    {
        // On a separate thread with a hang guard: a walk that cannot step past NaN never returns.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Task.Run(() => KolmogorovSmirnov.Test(a, b)).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestSorted_NaNAfterTheNumbers_IsRefused()
    {
        // A caller's own sort may put NaN last (IEEE total order); the merge meets it after every number.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Task.Run(() => KolmogorovSmirnov.TestSorted([1.0, 2.0, double.NaN], [1.5, 2.5])).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("sample a holds NaN at index 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_SmallSamples_MatchesExactVectorT13()
    {
        var result = KolmogorovSmirnov.Test([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]);

        Assert.True(result.Exact);
        Approx.Relative(0.5, result.D, 1e-12);
        Approx.Equal(0.357143, result.PValue, 5e-7);
    }

    [Fact]
    public void Test_SeparatedPairs_ExactPIsTwoOfSixInterleavings()
    {
        // D = 1 only for the interleavings aabb and bbaa: 2 of C(4,2) = 6.
        var result = KolmogorovSmirnov.Test([1, 2], [3, 4]);

        Assert.Equal(1.0, result.D);
        Approx.Relative(1.0 / 3, result.PValue, 1e-12);
    }

    [Fact]
    public void Test_LargeSamplesAtTheFivePercentCriticalValue_GivesAboutFivePercent()
    {
        // 4000 vs 4000 is past the exact threshold. Shifting by 121 gives D = 0.03025 and
        // λ = (√2000 + 0.12 + 0.11/√2000)·D ≈ 1.3565, next to Kolmogorov's 5% critical value 1.3581.
        var a = Enumerable.Range(0, 4000).Select(i => (double)i).ToArray();
        var b = a.Select(v => v + 121).ToArray();

        var result = KolmogorovSmirnov.Test(a, b);

        Assert.False(result.Exact);
        Approx.Relative(121.0 / 4000, result.D, 1e-12);
        Approx.Equal(0.05, result.PValue, 1e-3);
    }

    [Fact]
    public void Test_IdenticalSamples_GivesZeroDAndPOfOne()
    {
        var result = KolmogorovSmirnov.Test([1, 2, 3], [1, 2, 3]);

        Assert.Equal(0, result.D);
        Assert.Equal(1, result.PValue);
    }
}
