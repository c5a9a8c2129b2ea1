namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Compares a canary with the stable variant over one window of traffic. Pure and deterministic: the
/// same samples and settings always give the same report.
/// </summary>
/// <remarks>
/// Three checks run, each described on its own type:
/// <list type="bullet">
/// <item><c>error_rate</c>: canary error rate above <see cref="AnalysisSettings.MaxErrorRate"/>, or above
/// stable's (<see cref="ErrorRateCheck"/>).</item>
/// <item><c>latency</c>: canary p50 or p99 over stable's above its ratio limit and significantly slower
/// (<see cref="LatencyCheck"/>).</item>
/// <item><c>prediction_drift</c>: PSI of canary scores against stable's deciles, or else of labels, at or
/// above <see cref="AnalysisSettings.MaxPsi"/> and significant (<see cref="PredictionDriftCheck"/>).</item>
/// </list>
/// Every significance test is sequential (always valid: <see cref="MixtureSequentialTest"/>,
/// <see cref="BinomialMixtureTest"/>), so a check may fail at any look, on every tick, without its
/// false-alarm rate growing with the number of looks. The five tests (error rate against the limit and
/// against stable, latency p50 and p99, drift) share <see cref="AnalysisSettings.Alpha"/> equally
/// (Bonferroni), so one window's analysis, looked at as often as wished, raises a false alarm with
/// probability at most α. Verdict: Fail if any check fails; otherwise Wait if any check lacks samples;
/// otherwise Pass.
/// </remarks>
internal static class CanaryAnalysis
{
    /// <summary>The sequential tests that share α in one analysis.</summary>
    public const int SequentialTests = 5;

    /// <summary>N* of the mixture tests: the total sample (both variants) where they are most sensitive,
    /// about a 5% canary's window when it reaches 100 requests.</summary>
    public const double SequentialTuningN = 2000;

    /// <summary>The level each sequential test runs at: α / <see cref="SequentialTests"/>.</summary>
    public static double SequentialAlpha(AnalysisSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Alpha / SequentialTests;
    }

    /// <summary>Runs every check and combines them into a verdict.</summary>
    /// <param name="stable">What stable did in the window (or the baseline it is judged against).</param>
    /// <param name="canary">What the canary did in the window.</param>
    /// <param name="settings">The thresholds.</param>
    /// <param name="final">Whether this is the step's last look: only then do the fixed-horizon rules of
    /// before count too (a measured error rate over the limit; the latency and drift tests at α).</param>
    /// <exception cref="ArgumentException">When the settings are invalid (every problem is listed) or a
    /// sample is inconsistent (negative counts, more errors than requests).</exception>
    public static AnalysisReport Compare(VariantSample stable, VariantSample canary, AnalysisSettings settings, bool final = true)
    {
        ArgumentNullException.ThrowIfNull(stable);
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(settings);
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid analysis settings: " + string.Join("; ", problems), nameof(settings));
        }

        CheckSample(stable, nameof(stable));
        CheckSample(canary, nameof(canary));

        CheckResult[] checks =
        [
            ErrorRateCheck.Run(stable, canary, settings, final),
            LatencyCheck.Run(stable, canary, settings, final),
            PredictionDriftCheck.Run(stable, canary, settings, final),
        ];

        var failed = checks.Where(c => c.Outcome == CheckOutcome.Fail).ToArray();
        if (failed.Length > 0)
        {
            return new AnalysisReport(AnalysisVerdict.Fail, checks, "Fail: " + Describe(failed));
        }

        var waiting = checks.Where(c => c.Outcome == CheckOutcome.Wait).ToArray();
        if (waiting.Length > 0)
        {
            return new AnalysisReport(AnalysisVerdict.Wait, checks, "Wait: " + Describe(waiting));
        }

        return new AnalysisReport(AnalysisVerdict.Pass, checks,
            "Pass: " + string.Join(", ", checks.Select(c => c.Name)) + " passed");
    }

    private static string Describe(IEnumerable<CheckResult> checks) =>
        string.Join("; ", checks.Select(c => $"{c.Name}: {c.Detail}"));

    private static void CheckSample(VariantSample sample, string name)
    {
        ArgumentNullException.ThrowIfNull(sample.LatenciesMs, name);
        ArgumentNullException.ThrowIfNull(sample.Scores, name);
        ArgumentNullException.ThrowIfNull(sample.Labels, name);
        if (sample.Requests < 0 || sample.Errors < 0 || sample.Errors > sample.Requests)
        {
            throw new ArgumentException(
                $"{name}: need 0 <= errors <= requests, got {DetailFormat.Count(sample.Errors)} errors of {DetailFormat.Count(sample.Requests)} requests",
                name);
        }
    }
}
