using System.Diagnostics;
using Usher.Core.Inference;

namespace Usher.Core.Routing;

/// <summary>
/// One routed request as the observers see it: a small fixed-size value the router hands to the
/// bounded observation channel. Every reference in it is safe to keep (the request is an owned
/// copy, made only when an observer asked for it).
/// </summary>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="Variant">The variant that handled it.</param>
/// <param name="At">When it finished (the injected clock).</param>
/// <param name="Error">The error it failed with; null when it succeeded.</param>
/// <param name="LatencyMs">Server-side time from routing to the answer, in milliseconds: the same measurement as the request duration in <c>/metrics</c>.</param>
/// <param name="RequestId">The request's id, or null (experiments join outcomes on it).</param>
/// <param name="RoutingKey">The sticky routing key the request carried, or null (experiments join outcomes on it).</param>
/// <param name="Response">The response when it succeeded.</param>
/// <param name="Request">An owned copy of the request when <see cref="Needs"/> includes <see cref="ObservationNeeds.Request"/>; otherwise null.</param>
/// <param name="Needs">What the observers asked for when the request was routed.</param>
internal readonly record struct RouteObservation(
    string Endpoint,
    RouteVariant Variant,
    DateTimeOffset At,
    InferenceError? Error,
    double LatencyMs,
    string? RequestId,
    string? RoutingKey,
    InferenceResponse? Response,
    InferenceRequest? Request,
    ObservationNeeds Needs)
{
    /// <summary>The request's span (<c>usher.infer</c>) while traces are taken, so that its shadow copy's span joins the trace; otherwise default.</summary>
    public ActivityContext Trace { get; init; }
}
