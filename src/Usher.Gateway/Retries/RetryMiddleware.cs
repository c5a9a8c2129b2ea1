using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Usher.Gateway.Registry;
using Usher.Gateway.Routing;
using Usher.Gateway.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace Usher.Gateway.Retries;

/// <summary>
/// First in YARP's proxy pipeline: reads what the request asks for, and sends an inference or a read
/// that failed before any byte of its answer (the connection failed, or the replica answered 503 and
/// <see cref="UnavailableResponseTransform"/> held it back) once more, to another replica, when the
/// <see cref="RetryBudget"/> allows. Control calls (admin API, repository load and unload) are never
/// retried. Counts every attempt per replica and region.
/// </summary>
internal sealed partial class RetryMiddleware(
    RequestDelegate next,
    RetryBudget budget,
    ReplicaRegistry registry,
    GatewayMetrics metrics,
    ILogger<RetryMiddleware> logger)
{
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
        if (!request.MayRetry || request.Tried.Count == 0)
        {
            return;
        }

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
        request.MayRetry = false;
        request.HeldBack = false;
        context.Response.Clear();
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Request.Body.Position = 0;
        metrics.Retried(failed, Region(failed), reason);
        LogRetried(logger, failed, reason);
        await AttemptAsync(context, request).ConfigureAwait(false);
    }

    private async Task AttemptAsync(HttpContext context, GatewayRequest request)
    {
        var proxy = context.GetReverseProxyFeature();
        proxy.ProxiedDestination = null;
        await next(context).ConfigureAwait(false);
        if (proxy.ProxiedDestination is not { } destination)
        {
            return;
        }

        var id = destination.DestinationId;
        request.Tried.Add(id);
        var region = Region(id);
        var outcome = request.HeldBack ? "5xx"
            : context.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None } ? "error"
            : context.Response.StatusCode switch
            {
                < 300 => "2xx",
                < 400 => "3xx",
                < 500 => "4xx",
                _ => "5xx",
            };
        metrics.Attempted(id, region, outcome);
        if (request.FailoverFrom is { } from)
        {
            metrics.FailedOver(from, region);
        }
    }

    private string Region(string replica) => registry.Current.Replicas.TryGetValue(replica, out var info) ? info.Region : "unknown";

    [LoggerMessage(EventId = Core.Telemetry.LogEvents.GatewayRetried, Level = LogLevel.Debug, Message = "retrying on another replica: replica '{Replica}' failed ({Reason})")]
    private static partial void LogRetried(ILogger logger, string replica, string reason);
}
