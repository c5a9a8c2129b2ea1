namespace Usher.ControlPlane.Api;

/// <summary><c>GET /admin/endpoints</c>: every endpoint, then the stored state start-up did not resume.</summary>
/// <param name="Endpoints">The endpoints, by name.</param>
/// <param name="Stale">Stored state set aside at start-up because the repository lacks what it names.</param>
public sealed record EndpointListDto(IReadOnlyList<EndpointDto>? Endpoints, IReadOnlyList<StaleStateDto>? Stale);
