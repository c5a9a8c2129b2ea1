namespace Usher.ControlPlane.Experiments;

/// <summary>One reported outcome: for the request <paramref name="Id"/> or the routing key <paramref name="Key"/> (exactly one of them).</summary>
/// <param name="Id">The request's id, as the client sent it in the inference request.</param>
/// <param name="Key">The routing key the client sent (<c>x-usher-routing-key</c>).</param>
/// <param name="Metric">The metric's name.</param>
/// <param name="Value">The outcome (0 or 1 for a binary metric).</param>
internal sealed record FeedbackItem(string? Id, string? Key, string Metric, double Value);
