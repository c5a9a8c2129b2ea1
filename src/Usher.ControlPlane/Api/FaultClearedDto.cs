namespace Usher.ControlPlane.Api;

/// <summary>The answer of <c>DELETE /admin/endpoints/{e}/faults/{version}</c>.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Variant">The variant.</param>
/// <param name="Cleared">False when the version had no fault.</param>
public sealed record FaultClearedDto(string? Endpoint, string? Variant, bool Cleared);
