namespace Usher.ControlPlane.Analysis.Summaries;

/// <summary>One variant's summaries of a window, added up over the replicas that flushed one.</summary>
/// <param name="Summary">The sum.</param>
/// <param name="Replicas">How many replicas' flushes it adds up.</param>
internal sealed record MergedSummary(VariantSummary Summary, int Replicas);
