using Microsoft.AspNetCore.Http;
using Usher.Gateway.Telemetry;
using Yarp.ReverseProxy.Transforms;

namespace Usher.Gateway.Retries;

/// <summary>
/// A response transform (it runs when a replica's response headers arrive, before its body is copied):
/// a replica's 503 (REST) or UNAVAILABLE (gRPC, trailers-only) to an attempt that may be retried is held
/// back, its body not sent, when the retry budget has room, so that <see cref="RetryMiddleware"/> can
/// send the request to another replica instead; and the answered attempt is counted
/// (<see cref="AttemptRecorder"/>).
/// </summary>
internal static class UnavailableResponseTransform
{
    private const string GrpcUnavailable = "14";

    public static ValueTask ApplyAsync(ResponseTransformContext context, RetryBudget budget, AttemptRecorder recorder, GatewayMetrics metrics)
    {
        var response = context.ProxyResponse;
        if (response is null || context.HttpContext.Features.Get<GatewayRequest>() is not { } request)
        {
            return ValueTask.CompletedTask;
        }

        if (request.MayRetry && Unavailable(response))
        {
            if (budget.TryWithdraw())
            {
                context.SuppressResponseBody = true;
                request.HeldBack = true;
            }
            else
            {
                metrics.RetryRefused();
            }
        }

        if (context.HttpContext.GetReverseProxyFeature().ProxiedDestination is { } destination)
        {
            recorder.Record(request, destination.DestinationId, (int)response.StatusCode);
        }

        return ValueTask.CompletedTask;
    }

    private static bool Unavailable(HttpResponseMessage response) =>
        (int)response.StatusCode == StatusCodes.Status503ServiceUnavailable
        || (response.Headers.TryGetValues("grpc-status", out var status) && status.FirstOrDefault() == GrpcUnavailable);
}
