namespace Usher.LoadGenerator.Load;

/// <summary>One closed-loop run: who to call, with what, how hard and for how long.</summary>
/// <param name="Url">The endpoint every request is POSTed to.</param>
/// <param name="Body">The request body, sent as-is with <c>Content-Type: application/json</c>.</param>
/// <param name="Concurrency">Workers, each with at most one request in flight.</param>
/// <param name="WarmupSeconds">Requests that start before this much time has passed are not recorded.</param>
/// <param name="DurationSeconds">The measured window after the warm-up.</param>
internal sealed record LoadSettings(Uri Url, byte[] Body, int Concurrency, double WarmupSeconds, double DurationSeconds);
