namespace Usher.Streaming.Pipeline;

/// <summary>Runs one OIP JSON request on an endpoint: in this process through the router, or on a server over REST.</summary>
internal interface IStreamScorer
{
    /// <summary>Scores <paramref name="request"/> on <paramref name="endpoint"/>, routed by <paramref name="routingKey"/> (null: none).</summary>
    ValueTask<StreamScore> ScoreAsync(string endpoint, ReadOnlyMemory<byte> request, string? routingKey, CancellationToken cancellationToken);
}
