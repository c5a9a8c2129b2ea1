namespace Usher.ControlPlane.Api;

/// <summary>The answer of <c>PUT /admin/endpoints/{e}/faults/{version}</c>.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Variant">The variant the fault is on.</param>
/// <param name="Fault">The fault now set.</param>
public sealed record FaultAnswerDto(string? Endpoint, string? Variant, FaultDto? Fault);
