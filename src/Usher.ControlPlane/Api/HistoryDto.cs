namespace Usher.ControlPlane.Api;

/// <summary><c>GET /admin/endpoints/{e}/history</c>: the endpoint's audit events, oldest first.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Events">Its events.</param>
public sealed record HistoryDto(string? Endpoint, IReadOnlyList<EventDto>? Events);
