namespace Usher.ControlPlane.Rollouts;

/// <summary>Stored state that named a model or version missing from the repository, and what start-up did about it.</summary>
/// <param name="Endpoint">The endpoint (or model, for a rejected version) the state belonged to.</param>
/// <param name="Kind">What it was: <c>route_table</c>, <c>rollout</c> or <c>rejected_version</c>.</param>
/// <param name="Message">What is missing and what was done, for the log and <c>usher endpoints</c>.</param>
internal sealed record StaleStateEntry(string Endpoint, string Kind, string Message);
