using Usher.ControlPlane.Shadow;

namespace Usher.ControlPlane.Api;

/// <summary>The <c>shadow</c> object of a rollout status (docs/admin-api.md, "Rollout status").</summary>
/// <param name="Primary">The version that answers.</param>
/// <param name="Shadow">The version that gets copies.</param>
/// <param name="Percent">Share of requests mirrored.</param>
/// <param name="QueueCapacity">The mirror queue's bound.</param>
/// <param name="Since">When the comparison started.</param>
/// <param name="Pairs">Mirrored requests compared.</param>
/// <param name="Mirrored">Copies sent.</param>
/// <param name="Failed">Copies the shadow failed.</param>
/// <param name="Dropped">Copies dropped on a full queue.</param>
/// <param name="Queued">Copies waiting now.</param>
/// <param name="Agreement">How often the two agree.</param>
/// <param name="Confusion">Rows by (primary's label, shadow's label).</param>
/// <param name="Scores">Score differences and drift.</param>
/// <param name="LatencyMs">Both sides' latency.</param>
/// <param name="Gate">The gate and its verdict, or null.</param>
/// <param name="Disagreements">The last disagreeing requests, newest last.</param>
public sealed record ShadowReportDto(
    string? Primary,
    string? Shadow,
    double Percent,
    int QueueCapacity,
    DateTimeOffset? Since,
    long Pairs,
    long Mirrored,
    long Failed,
    long Dropped,
    int Queued,
    ShadowAgreementDto? Agreement,
    IReadOnlyList<ConfusionCellDto>? Confusion,
    ShadowScoresDto? Scores,
    ShadowLatencyDto? LatencyMs,
    ShadowGateDto? Gate,
    IReadOnlyList<DisagreementDto>? Disagreements)
{
    /// <summary>The wire form of <paramref name="status"/>.</summary>
    internal static ShadowReportDto From(ShadowStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var (report, target, counts) = (status.Report, status.Target, status.Counts);
        return new ShadowReportDto(
            status.Primary,
            target.Name,
            target.Percent,
            target.QueueCapacity,
            report.Since,
            report.Pairs,
            counts.Mirrored,
            counts.Failed,
            counts.Dropped,
            counts.Queued,
            new ShadowAgreementDto(report.Basis, report.Compared, report.Agreed, report.Agreement, report.AgreementInterval.Low, report.AgreementInterval.High, 0.95),
            [.. report.Confusion.Select(c => new ConfusionCellDto(c.Primary, c.Shadow, c.Count))],
            new ShadowScoresDto(
                report.ScoreRows,
                report.MeanAbsDifference,
                report.MaxAbsDifference,
                Finite(report.Psi),
                Finite(report.KolmogorovSmirnov?.D),
                Finite(report.KolmogorovSmirnov?.P)),
            new ShadowLatencyDto(report.LatencySamples, report.PrimaryLatencyMs.P50, report.PrimaryLatencyMs.P99, report.ShadowLatencyMs.P50, report.ShadowLatencyMs.P99),
            status.Gate is { } gate && status.GateVerdict is { } verdict
                ? new ShadowGateDto(gate.MinAgreement, gate.MaxLatencyP99Ratio, gate.MinSamples, verdict.Passed, verdict.Detail)
                : null,
            [.. report.Disagreements.Select(DisagreementDto.From)]);
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
