using Usher.Core.Routing;

namespace Usher.ControlPlane.Api;

/// <summary>
/// A fault on one version: the body of <c>PUT /admin/endpoints/{e}/faults/{version}</c> (without
/// <paramref name="Variant"/>) and a fault in the answers (with it).
/// </summary>
/// <param name="Variant">The variant (<c>fraud:2</c>); absent in a request.</param>
/// <param name="AbortFraction">Share of requests failed, 0 to 1.</param>
/// <param name="AbortStatus">Status of a failed request.</param>
/// <param name="DelayMs">Delay added, in ms.</param>
/// <param name="DelayFraction">Share of requests delayed, 0 to 1.</param>
/// <param name="Replica">The id of the one replica (as <c>GET /admin/replicas</c> lists it) that applies it; absent: every replica.</param>
public sealed record FaultDto(
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Variant,
    double AbortFraction,
    int AbortStatus,
    double DelayMs,
    double DelayFraction,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Replica = null)
{
    /// <summary>The wire form of <paramref name="fault"/> on <paramref name="variant"/>, for <paramref name="replica"/> (null: every replica).</summary>
    internal static FaultDto From(string? variant, FaultSpec fault, string? replica = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        return new FaultDto(variant, fault.AbortFraction, fault.AbortStatus, fault.DelayMs, fault.DelayFraction, replica);
    }
}
