namespace Usher.Cli.Bench;

/// <summary>Sends one request and reads its whole answer; one request in flight per sender.</summary>
internal interface IRequestSender
{
    /// <summary>Null failure on success, else what failed (an HTTP or gRPC status, <c>timeout</c>, ...); the server's split when the answer carried Server-Timing.</summary>
    Task<(string? Failure, ServerSplit? Split)> SendAsync(CancellationToken cancellationToken);
}
