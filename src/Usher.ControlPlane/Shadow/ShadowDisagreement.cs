using Usher.Core.Tensors;

namespace Usher.ControlPlane.Shadow;

/// <summary>One mirrored request whose answers differed (or whose shadow failed), kept for debugging.</summary>
/// <param name="At">When the shadow answered.</param>
/// <param name="Inputs">The request's inputs (owned copies).</param>
/// <param name="Primary">The primary's outputs (what the client got).</param>
/// <param name="Shadow">The shadow's outputs; null when it failed.</param>
/// <param name="Error">The shadow's error; null when it answered.</param>
internal sealed record ShadowDisagreement(DateTimeOffset At, IReadOnlyList<Tensor> Inputs, IReadOnlyList<Tensor> Primary, IReadOnlyList<Tensor>? Shadow, string? Error);
