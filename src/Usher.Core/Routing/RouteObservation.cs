using Usher.Core.Inference;

namespace Usher.Core.Routing;

/// <summary>One routed request as the observer sees it.</summary>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="Variant">The variant that handled it.</param>
/// <param name="At">When it finished (the injected clock).</param>
/// <param name="Error">The error it failed with; null when it succeeded.</param>
/// <param name="LatencyMs">Server-side time from routing to the answer, in milliseconds.</param>
/// <param name="Request">The request (its tensors may be borrowed: copy what you keep).</param>
/// <param name="Response">The response when it succeeded.</param>
/// <param name="RoutingKey">The sticky routing key the request carried, or null (experiments join outcomes on it).</param>
public sealed record RouteObservation(
    string Endpoint,
    RouteVariant Variant,
    DateTimeOffset At,
    InferenceError? Error,
    double LatencyMs,
    InferenceRequest Request,
    InferenceResponse? Response,
    string? RoutingKey = null);
