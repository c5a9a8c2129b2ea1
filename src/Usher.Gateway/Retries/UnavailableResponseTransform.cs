using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Transforms;

namespace Usher.Gateway.Retries;

/// <summary>
/// A response transform: a replica's 503 (REST) or UNAVAILABLE (gRPC, trailers-only) to an attempt
/// that may be retried is held back, its body not sent, when the retry budget has room, so that
/// <see cref="RetryMiddleware"/> can send the request to another replica instead.
/// </summary>
internal static class UnavailableResponseTransform
{
    private const string GrpcUnavailable = "14";

    public static ValueTask ApplyAsync(ResponseTransformContext context, RetryBudget budget, Telemetry.GatewayMetrics metrics)
    {
        var response = context.ProxyResponse;
        if (response is null
            || context.HttpContext.Features.Get<GatewayRequest>() is not { MayRetry: true } request
            || !Unavailable(response))
        {
            return ValueTask.CompletedTask;
        }

        if (budget.TryWithdraw())
        {
            context.SuppressResponseBody = true;
            request.HeldBack = true;
        }
        else
        {
            metrics.RetryRefused();
        }

        return ValueTask.CompletedTask;
    }

    private static bool Unavailable(HttpResponseMessage response) =>
        (int)response.StatusCode == StatusCodes.Status503ServiceUnavailable
        || (response.Headers.TryGetValues("grpc-status", out var status) && status.FirstOrDefault() == GrpcUnavailable);
}
