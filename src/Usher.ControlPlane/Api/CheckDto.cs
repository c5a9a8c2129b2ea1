namespace Usher.ControlPlane.Api;

/// <summary>One check on the wire.</summary>
/// <param name="Name">error_rate, latency or prediction_drift.</param>
/// <param name="Outcome">pass, fail or wait.</param>
/// <param name="Detail">The sentence with the numbers.</param>
/// <param name="Statistics">The numbers by snake_case name; a non-finite number is null.</param>
public sealed record CheckDto(string Name, string Outcome, string Detail, IReadOnlyDictionary<string, double?>? Statistics);
