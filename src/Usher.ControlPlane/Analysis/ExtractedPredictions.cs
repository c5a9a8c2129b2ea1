namespace Usher.ControlPlane.Analysis;

/// <summary>Per-row predictions read from a response's outputs; a list is empty when no output supplies it.</summary>
/// <param name="Labels">One predicted label per row.</param>
/// <param name="Scores">One score per row (a regression value or the positive-class probability).</param>
internal sealed record ExtractedPredictions(IReadOnlyList<string> Labels, IReadOnlyList<double> Scores)
{
    /// <summary>No predictions.</summary>
    public static ExtractedPredictions None { get; } = new([], []);
}
