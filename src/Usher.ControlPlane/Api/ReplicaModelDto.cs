using System.Text.Json.Serialization;

namespace Usher.ControlPlane.Api;

/// <summary>A model version a replica has loaded (<see cref="ReplicaDto.Models"/>).</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version.</param>
/// <param name="Ready">Whether it answers now.</param>
/// <param name="Hardware">The <c>hardware:</c> its config requires; absent: any.</param>
public sealed record ReplicaModelDto(
    string? Model,
    long Version,
    bool Ready,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Hardware);
