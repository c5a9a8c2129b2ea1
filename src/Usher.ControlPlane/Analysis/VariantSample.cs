namespace Usher.ControlPlane.Analysis;

/// <summary>What one variant (stable or canary) did during an analysis window.</summary>
/// <param name="Requests">Requests the variant answered, successfully or not.</param>
/// <param name="Errors">Requests that failed (server-side errors; not the caller's bad input).</param>
/// <param name="LatenciesMs">Latency samples in milliseconds (all requests or a uniform sample of them).</param>
/// <param name="Scores">Per-row prediction scores (see <c>PredictionExtractor</c>); empty when the model gives none.</param>
/// <param name="Labels">Per-row predicted labels; empty when the model gives none.</param>
internal sealed record VariantSample(
    long Requests, long Errors, IReadOnlyList<double> LatenciesMs, IReadOnlyList<double> Scores, IReadOnlyList<string> Labels);
