using Usher.Core.Tensors;

namespace Usher.Core.RequestLogging;

/// <summary>One sampled request as the request log writes it. Its tensors own their bytes.</summary>
/// <param name="Timestamp">When it was answered (the injected clock).</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Endpoint">The endpoint the client called.</param>
/// <param name="Variant">The variant that answered (<c>model:version</c>).</param>
/// <param name="RoutingKey">The sticky routing key the request carried, or null.</param>
/// <param name="RequestId">The client's request id, or null.</param>
/// <param name="LatencyMs">Server-side time from routing to the answer (the request duration of <c>/metrics</c>).</param>
/// <param name="Inputs">The inputs as the client sent them.</param>
/// <param name="Outputs">The outputs as the client got them.</param>
internal sealed record RequestLogRecord(
    DateTimeOffset Timestamp,
    string Model,
    long Version,
    string Endpoint,
    string Variant,
    string? RoutingKey,
    string? RequestId,
    double LatencyMs,
    IReadOnlyList<Tensor> Inputs,
    IReadOnlyList<Tensor> Outputs);
