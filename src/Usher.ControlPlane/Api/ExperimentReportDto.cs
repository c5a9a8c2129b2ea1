using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Api;

/// <summary>
/// An experiment's results (<c>GET /admin/endpoints/{e}/experiment</c>, the <c>analysis</c> of an
/// experiment's rollout, the data of its audit events); every field: docs/experiments.md.
/// </summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="RolloutId">The experiment's rollout.</param>
/// <param name="Strategy">ab or bandit.</param>
/// <param name="Phase">The rollout's phase.</param>
/// <param name="Metric">The outcome metric.</param>
/// <param name="Kind">binary or continuous.</param>
/// <param name="Alpha">The significance level.</param>
/// <param name="Decision">winner, loser or not yet.</param>
/// <param name="Verdict">The decision again, where a rollout's analysis has its verdict.</param>
/// <param name="Winner">The version to keep, or null.</param>
/// <param name="Summary">Why.</param>
/// <param name="Control">The control's version.</param>
/// <param name="Srm">The sample-ratio-mismatch check, or null when not checked.</param>
/// <param name="Arms">Each arm against the control.</param>
public sealed record ExperimentReportDto(
    string? Endpoint,
    long RolloutId,
    string? Strategy,
    string? Phase,
    string? Metric,
    string? Kind,
    double? Alpha,
    string? Decision,
    string? Verdict,
    long? Winner,
    string? Summary,
    long? Control,
    SrmDto? Srm,
    IReadOnlyList<ArmDto>? Arms)
{
    /// <summary>The wire form of <paramref name="report"/>.</summary>
    internal static ExperimentReportDto From(string endpoint, long rolloutId, string strategy, string phase, ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new ExperimentReportDto(
            endpoint,
            rolloutId,
            strategy,
            phase,
            report.Metric,
            report.Kind == OutcomeKind.Binary ? "binary" : "continuous",
            report.Alpha,
            report.Decision,
            report.Decision,
            report.Winner,
            report.Summary,
            report.ControlVersion,
            report.Srm is { } srm ? new SrmDto(Finite(srm.ChiSquare), Finite(srm.PValue), srm.Threshold, srm.Flagged) : null,
            [.. report.Arms.Select(ArmDto.From)]);
    }

    /// <summary>A number, or null when it is not finite (JSON has no NaN).</summary>
    internal static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
