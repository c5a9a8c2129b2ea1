using MathNet.Numerics.Distributions;

namespace Usher.ControlPlane.Experiments;

/// <summary>
/// Thompson sampling over binary arms: each arm's rate is Beta(1 + successes, 1 + failures), and
/// its weight is P(arm is best), estimated by Monte Carlo draws from an injected random source, then
/// lifted so that every arm keeps a minimum share (it keeps learning, and a guardrail still sees it).
/// </summary>
internal static class ThompsonSampling
{
    /// <summary>Monte Carlo draws per update.</summary>
    public const int Draws = 10_000;

    /// <summary>The arms' weights in percent, in the order of <paramref name="arms"/>, rounded to 0.01 and adding up to 100.</summary>
    public static IReadOnlyList<double> Weights(IReadOnlyList<(long Successes, long Failures)> arms, double minShare, Random random, int draws = Draws)
    {
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(random);
        if (arms.Count == 0 || minShare * arms.Count > 1 || minShare < 0)
        {
            throw new ArgumentException($"need at least one arm and a minimum share ({minShare}) that all arms together can keep");
        }

        var betas = arms.Select(a => new Beta(1 + a.Successes, 1 + a.Failures, random)).ToArray();
        var wins = new int[arms.Count];
        for (var d = 0; d < draws; d++)
        {
            var best = 0;
            var bestValue = double.MinValue;
            for (var i = 0; i < betas.Length; i++)
            {
                var x = betas[i].Sample();
                if (x > bestValue)
                {
                    (best, bestValue) = (i, x);
                }
            }

            wins[best]++;
        }

        // Every arm gets the minimum; the rest is shared in proportion to P(best).
        var free = 1 - (minShare * arms.Count);
        var shares = wins.Select(w => minShare + (free * w / draws)).ToArray();
        var percent = shares.Select(s => Math.Round(s * 100, 2)).ToArray();
        var largest = Array.IndexOf(percent, percent.Max());
        percent[largest] = Math.Round(100 - percent.Where((_, i) => i != largest).Sum(), 2);
        return percent;
    }
}
