namespace Usher.ControlPlane.Experiments;

/// <summary>The sample-ratio-mismatch check (statistics.md §3d).</summary>
/// <param name="ChiSquare">Pearson χ² of the assigned units against the intended weights.</param>
/// <param name="PValue">Its p-value.</param>
/// <param name="Threshold">Flag below this p-value.</param>
/// <param name="Flagged">Whether the assignment is broken: the test halts, its numbers cannot be trusted.</param>
internal sealed record SrmResult(double ChiSquare, double PValue, double Threshold, bool Flagged);
