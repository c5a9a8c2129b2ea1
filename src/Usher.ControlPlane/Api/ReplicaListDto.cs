namespace Usher.ControlPlane.Api;

/// <summary><c>GET /admin/replicas</c>: every replica the registry of the shared state holds, up and down.</summary>
/// <param name="Replicas">The replicas, by region then id.</param>
/// <param name="AnsweredBy">The id of the replica that answered (any replica serves the list).</param>
public sealed record ReplicaListDto(IReadOnlyList<ReplicaDto>? Replicas, string? AnsweredBy);
