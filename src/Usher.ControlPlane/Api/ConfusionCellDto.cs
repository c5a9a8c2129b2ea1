namespace Usher.ControlPlane.Api;

/// <summary>Rows where the primary answered one label and the shadow another.</summary>
/// <param name="Primary">The primary's label.</param>
/// <param name="Shadow">The shadow's label.</param>
/// <param name="Count">Rows.</param>
public sealed record ConfusionCellDto(string? Primary, string? Shadow, long Count);
