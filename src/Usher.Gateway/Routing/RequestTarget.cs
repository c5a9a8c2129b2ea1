namespace Usher.Gateway.Routing;

/// <summary>
/// What a request asks for, as far as the choice of a replica goes.
/// </summary>
/// <param name="Kind">Inference, read or control.</param>
/// <param name="Model">The model or endpoint it names; null when it names none (server health, metadata, admin).</param>
/// <param name="Version">The version it pins; null when it pins none.</param>
/// <param name="Hardware">The hardware it asks for (<c>x-usher-hardware</c>, matched against a replica's <c>hw</c> label); null for any.</param>
/// <param name="Region">The region it prefers (<c>x-usher-region</c>); null for the gateway's own.</param>
/// <param name="Grpc">Whether it came over gRPC (its errors are gRPC statuses).</param>
internal sealed record RequestTarget(RequestKind Kind, string? Model, long? Version, string? Hardware, string? Region, bool Grpc)
{
    public const string HardwareHeader = "x-usher-hardware";
    public const string RegionHeader = "x-usher-region";

    /// <summary>
    /// A retryable request's body is kept for a retry: in memory up to this size (ASP.NET Core's
    /// default, 30 KB, would write most tensors to a temporary file), on disk beyond it.
    /// </summary>
    public const int BufferInMemoryBytes = 1024 * 1024;

    /// <summary>Whether the gateway may retry it on another replica.</summary>
    public bool Retryable => Kind is RequestKind.Inference or RequestKind.Read;

    /// <summary>The model as error messages name it: <c>model 'fraud'</c> or <c>model 'fraud' version 2</c>.</summary>
    public string Describe() => Version is { } v ? $"model '{Model}' version {v}" : $"model '{Model}'";
}
