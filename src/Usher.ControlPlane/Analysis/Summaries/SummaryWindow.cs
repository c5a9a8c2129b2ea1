namespace Usher.ControlPlane.Analysis.Summaries;

/// <summary>One analysis window of one rollout: what every replica's summaries of it are keyed by.</summary>
/// <param name="Endpoint">The endpoint under analysis.</param>
/// <param name="RolloutId">The rollout's id in the shared state.</param>
/// <param name="Start">The window's start as the rollout's state says (its step's start), so that every
/// replica names the window alike; stored to the microsecond.</param>
internal sealed record SummaryWindow(string Endpoint, long RolloutId, DateTimeOffset Start);
