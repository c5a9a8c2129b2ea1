using Usher.Core.Inference;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// The <c>usher.infer</c> span of one routed request (docs/observability.md), taken only while Usher's
/// spans are listened to. Its parent is the current span (the frontend's HTTP or gRPC server span,
/// itself the child of a client's W3C <c>traceparent</c>); the cache lookup, queue, batch and compute
/// spans are its children, and a shadow's copy starts from it.
/// </summary>
internal static class InferenceTrace
{
    public static async ValueTask<RoutedInference> RunAsync(InferenceRouter router, InferenceRequest request, RouteHints hints, long started, CancellationToken cancellationToken)
    {
        using var span = UsherActivities.Source.StartActivity(UsherActivities.Infer);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("usher.endpoint", request.ModelName);
            if (request.ModelVersion is { } version)
            {
                span.SetTag("usher.version", version);
            }

            if (request.Id is { Length: > 0 } id)
            {
                span.SetTag("usher.request_id", id);
            }
        }

        var routed = await router.RouteAsync(request, hints, started, cancellationToken).ConfigureAwait(false);
        if (span is { IsAllDataRequested: true })
        {
            if (routed.Variant is { } variant)
            {
                span.SetTag("usher.variant", variant);
            }

            if (!routed.Result.IsSuccess)
            {
                UsherActivities.Fail(span, routed.Result.Error.Kind.ToString(), routed.Result.Error.Message);
            }
            else if (routed.Result.Value.Timings.CacheHit)
            {
                span.SetTag("usher.cache.hit", true);
            }
        }

        return routed;
    }
}
