namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Compares a canary with the stable variant over one window of traffic. Pure and deterministic: the
/// same samples and settings always give the same report.
/// </summary>
/// <remarks>
/// Three checks run, each described on its own type:
/// <list type="bullet">
/// <item><c>error_rate</c>: canary error rate above <see cref="AnalysisSettings.MaxErrorRate"/>, or
/// significantly above stable's (one-sided two-proportion z at <see cref="AnalysisSettings.Alpha"/>).
/// Needs <see cref="AnalysisSettings.MinRequests"/> requests per variant, except the early-fail rule:
/// with at least 20 canary requests, the check fails at once when even the lower end of the 99% Wilson
/// interval of the canary's error rate is above <see cref="AnalysisSettings.MaxErrorRate"/>.</item>
/// <item><c>latency</c>: canary p50 or p99 over stable's above its ratio limit, and a one-sided
/// Mann-Whitney U test (canary slower) significant at <see cref="AnalysisSettings.Alpha"/>. Needs
/// <see cref="AnalysisSettings.MinRequests"/> latency samples per variant.</item>
/// <item><c>prediction_drift</c>: PSI of canary scores against stable's deciles (KS reported too), or
/// else categorical PSI of labels (χ² homogeneity reported too), at or above
/// <see cref="AnalysisSettings.MaxPsi"/>. Needs <see cref="AnalysisSettings.MinPredictions"/> per variant;
/// passes with "no predictions to compare" when neither kind is present in both variants.</item>
/// </list>
/// Verdict: Fail if any check fails; otherwise Wait if any check lacks samples; otherwise Pass.
/// </remarks>
public static class CanaryAnalysis
{
    /// <summary>Runs every check and combines them into a verdict.</summary>
    /// <exception cref="ArgumentException">When the settings are invalid (every problem is listed) or a
    /// sample is inconsistent (negative counts, more errors than requests).</exception>
    public static AnalysisReport Compare(VariantSample stable, VariantSample canary, AnalysisSettings settings)
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
            ErrorRateCheck.Run(stable, canary, settings),
            LatencyCheck.Run(stable, canary, settings),
            PredictionDriftCheck.Run(stable, canary, settings),
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
