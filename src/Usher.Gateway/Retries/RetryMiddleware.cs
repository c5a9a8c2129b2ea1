using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Usher.Gateway.Routing;
using Usher.Gateway.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace Usher.Gateway.Retries;

/// <summary>
/// First in YARP's proxy pipeline: reads what the request asks for, and sends an inference or a read
/// that failed before any byte of its answer (the connection failed, or the replica answered 503 and
/// <see cref="UnavailableResponseTransform"/> held it back) again, to a replica it has not tried, when
/// the <see cref="RetryBudget"/> allows: once after a 503 (the replica was reached and is busy or not
/// ready), and up to <see cref="MaxAttempts"/> attempts in all while connections fail (nothing reached
/// a replica; when a whole region goes, the next replica chosen in it may be gone too). Control calls
/// (admin API, repository load and unload) are never retried. An attempt with no answer is counted
/// here, an answered one by the response transform.
/// </summary>
internal sealed partial class RetryMiddleware(
    RequestDelegate next,
    RetryBudget budget,
    AttemptRecorder recorder,
    GatewayMetrics metrics,
    ILogger<RetryMiddleware> logger)
{
    /// <summary>The most attempts one request gets while its connections fail (the first and two retries).</summary>
    public const int MaxAttempts = 3;

    public async Task InvokeAsync(HttpContext context)
    {
        var target = await RequestClassifier.ClassifyAsync(context).ConfigureAwait(false);
        var request = new GatewayRequest(target) { MayRetry = target.Retryable };
        context.Features.Set(request);
        if (target.Retryable)
        {
            // Kept so that a retry sends the same body again.
            context.Request.EnableBuffering(RequestTarget.BufferInMemoryBytes);
            budget.Deposit();
        }

        await AttemptAsync(context, request).ConfigureAwait(false);
        while (request.MayRetry && request.Tried.Count > 0)
        {
            string reason;
            if (request.HeldBack)
            {
                reason = "unavailable";
            }
            else if (context.Features.Get<IForwarderErrorFeature>()?.Error is ForwarderError.Request && !context.Response.HasStarted)
            {
                if (!budget.TryWithdraw())
                {
                    metrics.RetryRefused();
                    return;
                }

                reason = "connection";
            }
            else
            {
                return;
            }

            var failed = request.Tried[^1];
            request.MayRetry = reason == "connection" && request.Tried.Count + 1 < MaxAttempts;
            request.HeldBack = false;
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Request.Body.Position = 0;
            metrics.Retried(failed, recorder.Region(failed), reason);
            LogRetried(logger, failed, reason);
            await AttemptAsync(context, request).ConfigureAwait(false);
        }
    }

    private async Task AttemptAsync(HttpContext context, GatewayRequest request)
    {
        var proxy = context.GetReverseProxyFeature();
        proxy.ProxiedDestination = null;
        request.AttemptRecorded = false;
        await next(context).ConfigureAwait(false);
        if (proxy.ProxiedDestination is not { } destination)
        {
            return;
        }

        request.Tried.Add(destination.DestinationId);

        // An answered attempt was counted when its headers came; this one had no answer.
        recorder.Record(request, destination.DestinationId, status: null);
    }

    [LoggerMessage(EventId = Core.Telemetry.LogEvents.GatewayRetried, Level = LogLevel.Debug, Message = "retrying on another replica: replica '{Replica}' failed ({Reason})")]
    private static partial void LogRetried(ILogger logger, string replica, string reason);
}
