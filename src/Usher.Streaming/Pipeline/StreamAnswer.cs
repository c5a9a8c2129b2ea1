namespace Usher.Streaming.Pipeline;

/// <summary>
/// What a message became: an answer (<see cref="Response"/>, the OIP JSON response) or a failure
/// (<see cref="Error"/> with its <see cref="Reason"/>), always with the source's message id.
/// </summary>
internal sealed record StreamAnswer
{
    /// <summary>The source message's id.</summary>
    public required string SourceId { get; init; }

    /// <summary>The endpoint the request went to.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The version that answered; null for a failure before a version was picked.</summary>
    public long? ModelVersion { get; init; }

    /// <summary>The OIP JSON response; null for a failure.</summary>
    public ReadOnlyMemory<byte>? Response { get; init; }

    /// <summary>The failure's message; null for an answer.</summary>
    public string? Error { get; init; }

    /// <summary>The failure's kind: <c>malformed</c>, <c>invalid</c>, <c>not_found</c>, <c>attempts_exhausted</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>Attempts made on the message, redeliveries included.</summary>
    public int Attempts { get; init; }

    /// <summary>The request as it came (dead letters carry it, so it can be fixed and replayed).</summary>
    public ReadOnlyMemory<byte>? Request { get; init; }

    /// <summary>True when this is a failure for the dead-letter destination.</summary>
    public bool IsFailure => Error is not null;
}
