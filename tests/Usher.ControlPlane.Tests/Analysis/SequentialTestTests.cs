using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Tests.Analysis;

public sealed class SequentialTestTests
{
    [Theory]
    // Johari et al.'s Λ_n = sqrt(σ²/(σ²+nτ²))·exp(n²τ²ȳ²/(2σ²(σ²+nτ²))), σ = 1, τ² = ρ²σ², α = 0.05,
    // N* = 5000 (the vectors of ExperimentStatisticsTests, computed separately in Python); χ² = z² = n·ȳ².
    [InlineData(1000, 0.1, 13.358298441449836)]
    [InlineData(4000, 0.05, 27.725465601177255)]
    [InlineData(400, 0.3, 849.2150239337254)]
    public void Mixture_OneDegreeOfFreedom_IsOneOverJoharisLikelihoodRatio(long n, double mean, double lambda)
    {
        var p = MixtureSequentialTest.PValue(n * mean * mean, 1, n, 0.05, 5000);

        Approx.Relative(1 / lambda, p, 1e-9);
    }

    [Theory]
    [InlineData(3.1, 4.2, 800)]
    [InlineData(5.0, 2.5, 3000)]
    public void Mixture_TwoDegreesOfFreedom_IsTheProductOfTwoIndependentOnes(double z1, double z2, long n)
    {
        // An isotropic normal prior factorizes: E_2(z1² + z2²) = E_1(z1²)·E_1(z2²).
        var both = MixtureSequentialTest.PValue((z1 * z1) + (z2 * z2), 2, n, 0.01, 2000);
        var first = MixtureSequentialTest.PValue(z1 * z1, 1, n, 0.01, 2000);
        var second = MixtureSequentialTest.PValue(z2 * z2, 1, n, 0.01, 2000);

        Assert.True(first < 1 && second < 1, "both factors are above 1 here, so neither is capped");
        Approx.Relative(first * second, both, 1e-9);
    }

    [Fact]
    public void Mixture_NoEvidence_IsOne()
    {
        Assert.Equal(1.0, MixtureSequentialTest.PValue(0, 3, 1000, 0.01, 2000));
        Assert.Equal(1.0, MixtureSequentialTest.PValue(2, 1, 1, 0.01, 2000));
    }

    [Theory]
    // x = n: (1 − p0^(n+1)) / ((n+1)·p0^n·(1−p0)); n = 2, p0 = 0.5 gives 0.875 / 0.375 = 7/3.
    [InlineData(2, 2, 0.5, 7.0 / 3)]
    // n = 10, p0 = 0.1: (1 − 1e-11) / (11·1e-10·0.9).
    [InlineData(10, 10, 0.1, (1 - 1e-11) / (11 * 1e-10 * 0.9))]
    public void Binomial_AllEvents_MatchesTheClosedForm(long events, long trials, double p0, double lambda)
        => Approx.Relative(1 / lambda, BinomialMixtureTest.PValue(events, trials, p0), 1e-9);

    [Fact]
    public void Binomial_NoEvents_IsOne()
        => Assert.Equal(1.0, BinomialMixtureTest.PValue(0, 50, 0.05)); // Λ = 1/(n+1) < 1

    [Theory]
    [InlineData(6, 20, 0.05)]
    [InlineData(30, 100, 0.05)]
    [InlineData(49, 500, 0.05)]
    [InlineData(12, 40, 0.18)]
    public void Binomial_MatchesTheMixtureIntegratedNumerically(long events, long trials, double p0)
    {
        // Λ = ∫_{p0}^{1} (q/p0)^x ((1−q)/(1−p0))^(n−x) dq / (1 − p0), by Simpson's rule on 200,000 intervals.
        const int intervals = 200_000;
        var h = (1 - p0) / intervals;
        var sum = 0.0;
        for (var i = 0; i <= intervals; i++)
        {
            var q = p0 + (i * h);
            var f = Math.Exp((events * Math.Log(q / p0)) + ((trials - events) * Math.Log(Math.Max(1 - q, 1e-300) / (1 - p0))));
            sum += f * (i == 0 || i == intervals ? 1 : i % 2 == 1 ? 4 : 2);
        }

        var lambda = sum * h / 3 / (1 - p0);
        var p = BinomialMixtureTest.PValue(events, trials, p0);

        Assert.True(lambda > 1, $"the vector should be decisive enough to give p < 1 (Λ = {lambda})");
        Approx.Relative(1 / lambda, p, 1e-6);
    }

    [Fact]
    public void Binomial_LookedAtEveryFiveTrials_RejectsAtMostAlphaOfNullSequences()
    {
        // Ville's inequality: under p = p0, P(sup_n Λ_n ≥ 1/α) ≤ α over every look together.
        const double p0 = 0.05;
        const double alpha = 0.05;
        const int sequences = 2000;
        var random = new Random(20261203);
        var rejected = 0;
        for (var s = 0; s < sequences; s++)
        {
            var events = 0;
            for (var n = 1; n <= 400; n++)
            {
                events += random.NextDouble() < p0 ? 1 : 0;
                if (n % 5 == 0 && BinomialMixtureTest.PValue(events, n, p0) <= alpha)
                {
                    rejected++;
                    break;
                }
            }
        }

        Assert.True(rejected <= sequences * alpha, $"{rejected} of {sequences} null sequences rejected at α = {alpha}");
    }
}
