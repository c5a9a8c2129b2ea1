namespace Usher.LoadGenerator.Load;

/// <summary>Sends one request and reads its whole answer; one sender per worker.</summary>
internal interface IRequestSender
{
    /// <summary>Null failure on success, else what failed (an HTTP or gRPC status, <c>timeout</c>, ...); the server overhead when the answer carried Server-Timing.</summary>
    Task<(string? Failure, double? OverheadMs)> SendAsync(CancellationToken cancellationToken);
}
