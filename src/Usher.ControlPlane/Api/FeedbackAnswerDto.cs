using System.Text.Json.Serialization;

namespace Usher.ControlPlane.Api;

/// <summary>The answer to one feedback item: alone, or one of a batch's <c>results</c>.</summary>
/// <param name="Index">Its index in the batch; absent for a single item.</param>
/// <param name="Status">recorded, pending (stored, not yet joined: replicas sharing PostgreSQL), duplicate, unknown or invalid.</param>
/// <param name="Version">The version the request was routed to, when known.</param>
/// <param name="Error">Why it was not recorded, when it was not (for pending, when it will count).</param>
public sealed record FeedbackAnswerDto(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Index,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Version,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);
