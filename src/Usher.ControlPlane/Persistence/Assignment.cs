namespace Usher.ControlPlane.Persistence;

/// <summary>One unit's arm in an experiment.</summary>
/// <param name="RolloutId">The experiment's rollout.</param>
/// <param name="Unit"><c>key:ROUTING_KEY</c> or <c>id:REQUEST_ID</c>.</param>
/// <param name="Version">The arm.</param>
/// <param name="Counted">Whether the unit counts in the arms' sizes (a request id does not when its request had a routing key: the key is the unit).</param>
/// <param name="At">When it was first routed.</param>
internal sealed record Assignment(long RolloutId, string Unit, long Version, bool Counted, DateTimeOffset At);
