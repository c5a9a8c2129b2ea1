namespace Usher.Streaming.Pipeline;

/// <summary>Runs one OIP JSON request on an endpoint: in this process through the router, or on a server over REST.</summary>
internal interface IStreamScorer
{
    /// <summary>Scores <paramref name="request"/> on <paramref name="endpoint"/>, routed by <paramref name="routingKey"/> (null: none).</summary>
    ValueTask<StreamScore> ScoreAsync(string endpoint, ReadOnlyMemory<byte> request, string? routingKey, CancellationToken cancellationToken);

    /// <summary>
    /// Pays the first calls' one-off costs (code compiled on first use, connections) before the first
    /// message, without scoring anything that would be counted: a stream that starts mid-flow
    /// otherwise serves its first messages hundreds of milliseconds late, and every message queued
    /// behind them with them.
    /// </summary>
    ValueTask WarmUpAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Opens a micro-batch: the <see cref="ScoreAsync"/> calls started on this flow until it is
    /// disposed may run together (each still routed on its own), and disposing it runs them. Null when
    /// the scorer runs each request by itself anyway (a server over REST).
    /// </summary>
    IDisposable? OpenBatch(CancellationToken cancellationToken);
}
