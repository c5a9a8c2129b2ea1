using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Core.Telemetry;
using Usher.Server.Admin;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Makes every failure answer <c>{"error": ...}</c>: unknown routes (404), wrong methods (405),
/// oversized bodies (413), a state store that cannot be reached (503 with <c>Retry-After</c>, a
/// warning in the log: <see cref="StateStoreOutage"/>), an admin call whose write was refused because
/// this replica no longer leads the rollout controller (503 with <c>Retry-After</c>: a retry goes to
/// the new leader) and other exceptions that escaped a handler (500, logged). A client that reset its
/// connection mid-request gets nothing (there is no one to answer) and no error in the log.
/// </summary>
internal static partial class ErrorHandlingExtensions
{
    public static void UseUsherErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                LeadershipLostException => StatusCodes.Status503ServiceUnavailable,
                _ when StateStoreOutage.Is(ex) => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },

            // A malformed request, or a client that reset its connection mid-request, is the client's
            // doing, and a fenced write a takeover's (the election logs it, once): the middleware's own
            // error log is for the server's faults only.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException or LeadershipLostException || StateStoreOutage.Is(context.Exception) || IsClientGone(context.HttpContext, context.Exception),
            ExceptionHandler = async context =>
            {
                var feature = context.Features.Get<IExceptionHandlerFeature>();
                var ex = feature?.Error;
                if (ex is BadHttpRequestException bad)
                {
                    await HttpErrors.WriteAsync(context, bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                        ? "request body too large: " + bad.Message
                        : "bad request: " + bad.Message).ConfigureAwait(false);
                    return;
                }

                if (ex is LeadershipLostException fenced)
                {
                    context.Response.Headers.RetryAfter = "1";
                    await HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"{fenced.Message}; retry shortly (the new leader answers)").ConfigureAwait(false);
                    return;
                }

                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Usher.Server");
                if (IsClientGone(context, ex))
                {
                    context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest; // for the request metrics; nobody is left to answer
                    LogClientGone(logger, context.Request.Path);
                    return;
                }

                if (StateStoreOutage.Is(ex))
                {
                    // The store's server is down or restarting: the caller may retry, nothing here is broken.
                    var store = context.RequestServices.GetService<ControlPlaneHost>()?.StatePath ?? "(not open yet)";
                    LogStateStoreUnavailable(logger, context.Request.Path, store, ex!.Message);
                    context.Response.Headers.RetryAfter = "1";
                    await HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"the state store cannot be reached ({store}): {ex.Message}; retry once it is back (inference is answered meanwhile)").ConfigureAwait(false);
                    return;
                }

                LogUnhandled(logger, context.Request.Path, ex);
                await HttpErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, $"internal error: {ex?.Message}").ConfigureAwait(false);
            },
        });

        // An error status that a handler or routing (404, 405) set without writing a body is answered
        // {"error": ...}, as UseStatusCodePages would, without its per-request feature and its state
        // machine: a request whose handler completed passes on after one check.
        app.Use(next => context =>
        {
            var handled = next(context);
            return handled.IsCompletedSuccessfully ? AnswerBareStatus(context) : AnswerBareStatusAsync(handled, context);
        });
    }

    private static async Task AnswerBareStatusAsync(Task handled, HttpContext context)
    {
        await handled.ConfigureAwait(false);
        await AnswerBareStatus(context).ConfigureAwait(false);
    }

    private static Task AnswerBareStatus(HttpContext context)
    {
        var response = context.Response;
        var status = response.StatusCode;
        if (response.HasStarted || status < 400 || status >= 600 || response.ContentLength.HasValue || !string.IsNullOrEmpty(response.ContentType))
        {
            return Task.CompletedTask;
        }

        var message = status switch
        {
            StatusCodes.Status404NotFound => $"no such endpoint: {context.Request.Method} {context.Request.Path}; see docs/protocol.md for the routes",
            StatusCodes.Status405MethodNotAllowed => $"method {context.Request.Method} is not allowed on {context.Request.Path}",
            _ => $"HTTP {status}",
        };
        return HttpErrors.WriteAsync(context, status, message);
    }

    /// <summary>
    /// Whether an exception only says that the client went away: a reset connection, or an I/O error or
    /// cancellation after the request was aborted. (The middleware itself passes over the latter when
    /// the abort is already known; a reset can surface from a body read before Kestrel marks the request
    /// aborted, and then reaches the handler.)
    /// </summary>
    private static bool IsClientGone(HttpContext context, Exception? exception)
        => exception is ConnectionResetException
            || (exception is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested);

    [LoggerMessage(LogEvents.ClientGone, LogLevel.Debug, "The client of {Path} went away before it was answered")]
    private static partial void LogClientGone(ILogger logger, PathString path);

    [LoggerMessage(LogEvents.StateStoreUnavailable, LogLevel.Warning, "The state store {Store} could not be reached while answering {Path}, answered 503: {Reason}")]
    private static partial void LogStateStoreUnavailable(ILogger logger, PathString path, string store, string reason);

    [LoggerMessage(LogEvents.UnhandledRequestException, LogLevel.Error, "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, PathString path, Exception? exception);
}
