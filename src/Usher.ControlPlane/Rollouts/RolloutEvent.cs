namespace Usher.ControlPlane.Rollouts;

/// <summary>One entry of an endpoint's audit trail.</summary>
/// <param name="Id">Its id (ascending in time).</param>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="RolloutId">The rollout it belongs to, or null (a fault, a route change outside a rollout).</param>
/// <param name="At">When it happened (the injected clock).</param>
/// <param name="Kind">deploy, step, analysis, promote, pause, resume, rollback, inconclusive, abort, complete, fault, fault_cleared, route.</param>
/// <param name="Actor">Who: <c>controller</c>, <c>operator</c> (admin API), or <c>repository</c> (a config-driven rollout).</param>
/// <param name="Message">A sentence with the numbers.</param>
/// <param name="DataJson">Details as JSON (analysis statistics, weights), or null.</param>
internal sealed record RolloutEvent(long Id, string Endpoint, long? RolloutId, DateTimeOffset At, string Kind, string Actor, string Message, string? DataJson);
