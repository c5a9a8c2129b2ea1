namespace Usher.ControlPlane.Analysis;

/// <summary>
/// The "latency" check. Each variant needs <see cref="AnalysisSettings.MinRequests"/> latency samples
/// (non-finite and negative samples are dropped). It fails when the canary's p50 or p99 (numpy-linear
/// percentiles) over stable's exceeds its limit AND a one-sided Mann-Whitney U test finds canary
/// latencies stochastically greater at <see cref="AnalysisSettings.Alpha"/>, and the percentile is at
/// least <see cref="AnalysisSettings.MinLatencyDeltaMs"/> slower: the ratio and the floor say the
/// slowdown matters, the test says it is not noise. Ratios divide by at least <see cref="RatioFloorMs"/>.
/// </summary>
internal static class LatencyCheck
{
    /// <summary>The check's name in reports.</summary>
    public const string Name = "latency";

    /// <summary>Smallest denominator of a latency ratio (1 µs), so a zero stable latency gives a finite ratio.</summary>
    public const double RatioFloorMs = 0.001;

    public static CheckResult Run(VariantSample stable, VariantSample canary, AnalysisSettings settings)
    {
        var stableMs = Clean(stable.LatenciesMs);
        var canaryMs = Clean(canary.LatenciesMs);
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

        Array.Sort(stableMs);
        Array.Sort(canaryMs);
        var stableP50 = Percentile.OfSorted(stableMs, 50);
        var stableP99 = Percentile.OfSorted(stableMs, 99);
        var canaryP50 = Percentile.OfSorted(canaryMs, 50);
        var canaryP99 = Percentile.OfSorted(canaryMs, 99);
        var p50Ratio = canaryP50 / Math.Max(stableP50, RatioFloorMs);
        var p99Ratio = canaryP99 / Math.Max(stableP99, RatioFloorMs);
        var test = MannWhitneyU.Test(canaryMs, stableMs, Alternative.Greater);

        statistics["stable_p50_ms"] = stableP50;
        statistics["stable_p99_ms"] = stableP99;
        statistics["canary_p50_ms"] = canaryP50;
        statistics["canary_p99_ms"] = canaryP99;
        statistics["p50_ratio"] = p50Ratio;
        statistics["p99_ratio"] = p99Ratio;
        statistics["mann_whitney_u"] = test.U;
        statistics["z"] = test.Z;
        statistics["p"] = test.PValue;

        var numbers = $"canary p50 {DetailFormat.Ms(canaryP50)} vs stable {DetailFormat.Ms(stableP50)} ({DetailFormat.Ratio(p50Ratio)}, limit {DetailFormat.Ratio(settings.MaxLatencyP50Ratio)}), " +
            $"p99 {DetailFormat.Ms(canaryP99)} vs {DetailFormat.Ms(stableP99)} ({DetailFormat.Ratio(p99Ratio)}, limit {DetailFormat.Ratio(settings.MaxLatencyP99Ratio)}); " +
            $"Mann-Whitney canary slower p = {DetailFormat.Number(test.PValue)}";

        var overLimit = new List<string>(2);
        if (p50Ratio > settings.MaxLatencyP50Ratio && canaryP50 - stableP50 >= settings.MinLatencyDeltaMs)
        {
            overLimit.Add("p50");
        }

        if (p99Ratio > settings.MaxLatencyP99Ratio && canaryP99 - stableP99 >= settings.MinLatencyDeltaMs)
        {
            overLimit.Add("p99");
        }

        var significant = test.PValue < settings.Alpha;
        if (overLimit.Count > 0 && significant)
        {
            return new CheckResult(Name, CheckOutcome.Fail,
                $"{numbers}: {string.Join(" and ", overLimit)} over the limit and significantly slower", statistics);
        }

        var why = overLimit.Count > 0
            ? $"{string.Join(" and ", overLimit)} over the limit but not significantly slower (α = {DetailFormat.Number(settings.Alpha)})"
            : p50Ratio > settings.MaxLatencyP50Ratio || p99Ratio > settings.MaxLatencyP99Ratio
                ? $"within the limits (slower by less than {DetailFormat.Ms(settings.MinLatencyDeltaMs)})"
                : "within the limits";
        return new CheckResult(Name, CheckOutcome.Pass, $"{numbers}: {why}", statistics);
    }

    private static double[] Clean(IReadOnlyList<double> latencies) =>
        latencies.Where(ms => double.IsFinite(ms) && ms >= 0).ToArray();
}
