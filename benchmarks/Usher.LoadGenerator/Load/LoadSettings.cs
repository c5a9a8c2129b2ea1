namespace Usher.LoadGenerator.Load;

/// <summary>One closed-loop run: who to call, with what, how hard and for how long.</summary>
/// <param name="Url">The endpoint every request is POSTed to (REST), or the server's gRPC address.</param>
/// <param name="Body">The request body as JSON; the other protocols send the same tensors, encoded their way.</param>
/// <param name="Concurrency">Workers, each with at most one request in flight.</param>
/// <param name="WarmupSeconds">Requests that start before this much time has passed are not recorded.</param>
/// <param name="DurationSeconds">The measured window after the warm-up.</param>
/// <param name="Protocol">How requests are sent.</param>
/// <param name="Model">The model a gRPC request names; unused over REST, where the URL names it.</param>
internal sealed record LoadSettings(Uri Url, byte[] Body, int Concurrency, double WarmupSeconds, double DurationSeconds, WireProtocol Protocol = WireProtocol.Rest, string? Model = null);
