namespace Usher.ControlPlane.Api;

/// <summary>One endpoint of <c>GET /admin/endpoints</c>.</summary>
/// <param name="Name">The endpoint.</param>
/// <param name="Variants">Its route table's variants.</param>
/// <param name="Rollout">Its active rollout, or null.</param>
/// <param name="Faults">The faults injected into its versions.</param>
public sealed record EndpointDto(string? Name, IReadOnlyList<VariantDto>? Variants, RolloutSummaryDto? Rollout, IReadOnlyList<FaultDto>? Faults);
