namespace Usher.ControlPlane.Api;

/// <summary>An endpoint's active rollout in <c>GET /admin/endpoints</c>.</summary>
/// <param name="Id">The rollout's id.</param>
/// <param name="Strategy">Its strategy.</param>
/// <param name="Phase">Its phase.</param>
public sealed record RolloutSummaryDto(long Id, string? Strategy, string? Phase);
