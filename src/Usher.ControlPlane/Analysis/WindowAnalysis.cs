namespace Usher.ControlPlane.Analysis;

/// <summary>One look of a rollout's analysis at its window: what each side served and the report.</summary>
/// <param name="WindowStart">Where the window (the current step) started.</param>
/// <param name="Stable">Stable's counts (or the baseline's, at 100%).</param>
/// <param name="Canary">The candidate's counts.</param>
/// <param name="Report">The checks and the verdict.</param>
internal sealed record WindowAnalysis(DateTimeOffset WindowStart, VariantCounts Stable, VariantCounts Canary, AnalysisReport Report);
