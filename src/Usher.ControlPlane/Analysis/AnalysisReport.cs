namespace Usher.ControlPlane.Analysis;

/// <summary>The result of <see cref="CanaryAnalysis.Compare"/>.</summary>
/// <param name="Verdict">Fail if any check failed; else Wait if any lacked samples; else Pass.</param>
/// <param name="Checks">Every check, in the order error_rate, latency, prediction_drift.</param>
/// <param name="Summary">One line naming the verdict and the checks that decided it.</param>
internal sealed record AnalysisReport(AnalysisVerdict Verdict, IReadOnlyList<CheckResult> Checks, string Summary);
