namespace Usher.ControlPlane.Analysis;

/// <summary>One check of a canary analysis.</summary>
/// <param name="Name">"error_rate", "latency" or "prediction_drift".</param>
/// <param name="Outcome">What the check decided.</param>
/// <param name="Detail">A sentence with the numbers behind the outcome, for people.</param>
/// <param name="Statistics">The numbers, by snake_case name (e.g. <c>canary_error_rate</c>, <c>p</c>, <c>psi</c>); all finite.</param>
internal sealed record CheckResult(string Name, CheckOutcome Outcome, string Detail, IReadOnlyDictionary<string, double> Statistics);
