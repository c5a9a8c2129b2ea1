namespace Usher.ControlPlane.Api;

/// <summary>The optional body of <c>POST /admin/endpoints/{e}/rollout/{action}</c>.</summary>
/// <param name="Reason">Recorded in the history.</param>
/// <param name="Version">An experiment's promote: the arm to keep.</param>
public sealed record RolloutActionDto(
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? Version);
