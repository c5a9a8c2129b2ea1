namespace Usher.Engine;

/// <summary>Per-request choices of <see cref="UsherEngine.InferAsync(string, IReadOnlyList{InferenceInput}, InferOptions?, CancellationToken)"/>.</summary>
public sealed record InferOptions
{
    /// <summary>Run on this version (pinned); null (default) runs the newest ready version.</summary>
    public long? Version { get; init; }

    /// <summary>The outputs to compute; null (default) computes every output of the model.</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>The request's priority level (1 is the highest), as the server's <c>priority</c> parameter; null: the model's default.</summary>
    public int? Priority { get; init; }

    /// <summary>How long the request may wait in the queue, as the server's <c>timeout</c> parameter; null: the model's default.</summary>
    public TimeSpan? QueueTimeout { get; init; }
}
