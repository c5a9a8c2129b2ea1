namespace Usher.ControlPlane.Api;

/// <summary>The answer of <c>DELETE /admin/endpoints/{e}/faults/{version}</c>.</summary>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Variant">The variant.</param>
/// <param name="Cleared">False when the version had no fault (for that scope).</param>
/// <param name="Replica">The replica whose own fault was cleared (<c>?replica=ID</c>); absent: the fault for every replica.</param>
public sealed record FaultClearedDto(
    string? Endpoint,
    string? Variant,
    bool Cleared,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Replica = null);
