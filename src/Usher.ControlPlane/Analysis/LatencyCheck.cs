namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The "latency" check. Each variant needs <see cref="AnalysisSettings.MinRequests"/> latency samples
/// (non-finite and negative samples are dropped). A percentile (numpy-linear) fails when the canary's
/// over stable's exceeds its limit, the canary is at least <see cref="AnalysisSettings.MinLatencyDeltaMs"/>
/// slower there, AND a one-sided sequential (always-valid) test says it is not noise at the check's
/// share of <see cref="AnalysisSettings.Alpha"/>, so it may fail at any look: for p50 the Mann-Whitney
/// z (canary latencies stochastically greater) fed to <see cref="MixtureSequentialTest"/> (d = 1), for
/// p99 <see cref="BinomialMixtureTest"/> of the share of canary requests above stable's p99 (H0: at most
/// max(1%, stable's own share), as when the tails are alike). The fixed-horizon Mann-Whitney p and
/// binomial tail p are reported beside them, and at the step's last look (<c>final</c>) they decide at α too. Ratios divide by at least <see cref="RatioFloorMs"/>.
/// </summary>
internal static class LatencyCheck
{
    /// <summary>The check's name in reports.</summary>
    public const string Name = "latency";

    /// <summary>Smallest denominator of a latency ratio (1 µs), so a zero stable latency gives a finite ratio.</summary>
    public const double RatioFloorMs = 0.001;

    public static CheckResult Run(VariantSample stable, VariantSample canary, AnalysisSettings settings, bool final)
    {
        using var stableSorted = SortedSample.OfLatencies(stable.LatenciesMs);
        using var canarySorted = SortedSample.OfLatencies(canary.LatenciesMs);
        var stableMs = stableSorted.Values;
        var canaryMs = canarySorted.Values;
        var statistics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["stable_samples"] = stableMs.Length,
            ["canary_samples"] = canaryMs.Length,
        };

        if (stableMs.Length < settings.MinRequests || canaryMs.Length < settings.MinRequests)
        {
            return new CheckResult(Name, CheckOutcome.Wait,
                $"{DetailFormat.Count(stableMs.Length)} stable and {DetailFormat.Count(canaryMs.Length)} canary latency samples: " +
                $"waiting for {DetailFormat.Count(settings.MinRequests)} per variant", statistics);
        }

        var stableP50 = Percentile.OfSorted(stableMs, 50);
        var stableP99 = Percentile.OfSorted(stableMs, 99);
        var canaryP50 = Percentile.OfSorted(canaryMs, 50);
        var canaryP99 = Percentile.OfSorted(canaryMs, 99);
        var p50Ratio = canaryP50 / Math.Max(stableP50, RatioFloorMs);
        var p99Ratio = canaryP99 / Math.Max(stableP99, RatioFloorMs);
        var test = MannWhitneyU.TestSorted(canaryMs, stableMs, Alternative.Greater);
        var tail = TailExceedance(stableMs, canaryMs, stableP99);
        var alpha = CanaryAnalysis.SequentialAlpha(settings);
        var shiftP = test.Z > 0
            ? MixtureSequentialTest.PValue(test.Z * test.Z, 1, stableMs.Length + canaryMs.Length, alpha, CanaryAnalysis.SequentialTuningN)
            : 1.0;

        statistics["stable_p50_ms"] = stableP50;
        statistics["stable_p99_ms"] = stableP99;
        statistics["canary_p50_ms"] = canaryP50;
        statistics["canary_p99_ms"] = canaryP99;
        statistics["p50_ratio"] = p50Ratio;
        statistics["p99_ratio"] = p99Ratio;
        statistics["mann_whitney_u"] = test.U;
        statistics["z"] = test.Z;
        statistics["p"] = test.PValue;
        statistics["canary_over_stable_p99"] = tail.Over;
        statistics["tail_p"] = tail.PValue;
        statistics["always_valid_p"] = shiftP;
        statistics["tail_always_valid_p"] = tail.AlwaysValidP;
        statistics["sequential_alpha"] = alpha;

        var numbers = $"canary p50 {DetailFormat.Ms(canaryP50)} vs stable {DetailFormat.Ms(stableP50)} ({DetailFormat.Ratio(p50Ratio)}, limit {DetailFormat.Ratio(settings.MaxLatencyP50Ratio)}), " +
            $"p99 {DetailFormat.Ms(canaryP99)} vs {DetailFormat.Ms(stableP99)} ({DetailFormat.Ratio(p99Ratio)}, limit {DetailFormat.Ratio(settings.MaxLatencyP99Ratio)}); " +
            $"Mann-Whitney canary slower always-valid p = {DetailFormat.Number(shiftP)}, {DetailFormat.Count(tail.Over)} of {DetailFormat.Count(canaryMs.Length)} canary requests over stable's p99 (always-valid p = {DetailFormat.Number(tail.AlwaysValidP)})";

        // p50 is judged with the Mann-Whitney test (a shift of the whole distribution); p99 with a
        // binomial test of how many canary requests land above stable's p99 (about 1% should), since
        // a shift of the bulk says nothing about the tail and one slow request moves a small sample's p99.
        var failing = new List<string>(2);
        var noise = new List<string>(2);
        // At the step's end the fixed-horizon tests at α count too, as before.
        Judge("p50", p50Ratio > settings.MaxLatencyP50Ratio, canaryP50 - stableP50, final && test.PValue < settings.Alpha ? 0 : shiftP);
        Judge("p99", p99Ratio > settings.MaxLatencyP99Ratio, canaryP99 - stableP99, final && tail.PValue < settings.Alpha ? 0 : tail.AlwaysValidP);
        if (failing.Count > 0)
        {
            return new CheckResult(Name, CheckOutcome.Fail,
                $"{numbers}: {string.Join(" and ", failing)} over the limit and significantly slower", statistics);
        }

        var why = noise.Count > 0 ? $"within the limits ({string.Join("; ", noise)})" : "within the limits";
        return new CheckResult(Name, CheckOutcome.Pass, $"{numbers}: {why}", statistics);

        void Judge(string which, bool overRatio, double deltaMs, double p)
        {
            if (!overRatio)
            {
                return;
            }

            if (deltaMs < settings.MinLatencyDeltaMs)
            {
                noise.Add($"{which} slower by less than {DetailFormat.Ms(settings.MinLatencyDeltaMs)}");
            }
            else if (p > alpha)
            {
                noise.Add($"{which} over the limit but not significantly slower (always-valid p > {DetailFormat.Number(alpha)})");
            }
            else
            {
                failing.Add(which);
            }
        }
    }

    // How many canary requests are slower than stable's p99, and the one-sided binomial p of seeing
    // that many if the canary's tail were stable's (the share of stable above its own p99, at least 1%).
    private static (int Over, double PValue, double AlwaysValidP) TailExceedance(ReadOnlySpan<double> stableSorted, ReadOnlySpan<double> canary, double stableP99)
    {
        var over = CountAbove(canary, stableP99);
        var stableShare = CountAbove(stableSorted, stableP99) / (double)stableSorted.Length;
        var p0 = Math.Max(0.01, stableShare);
        var p = over == 0 ? 1.0 : 1.0 - MathNet.Numerics.Distributions.Binomial.CDF(p0, canary.Length, over - 1);
        return (over, Math.Clamp(p, 0, 1), BinomialMixtureTest.PValue(over, canary.Length, p0));
    }

    private static int CountAbove(ReadOnlySpan<double> values, double threshold)
    {
        var count = 0;
        foreach (var value in values)
        {
            if (value > threshold)
            {
                count++;
            }
        }

        return count;
    }
}
