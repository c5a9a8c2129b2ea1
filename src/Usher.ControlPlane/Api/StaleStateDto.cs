namespace Usher.ControlPlane.Api;

/// <summary>Stored state not resumed at start-up.</summary>
/// <param name="Endpoint">The endpoint it names.</param>
/// <param name="Kind">What it is (route table, rollout, pin).</param>
/// <param name="Message">What was set aside and why.</param>
public sealed record StaleStateDto(string? Endpoint, string? Kind, string? Message);
