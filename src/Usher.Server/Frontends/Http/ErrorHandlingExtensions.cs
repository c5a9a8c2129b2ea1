using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// Makes every failure answer <c>{"error": ...}</c>: unknown routes (404), wrong methods (405),
/// oversized bodies (413) and exceptions that escaped a handler (500, logged).
/// </summary>
internal static partial class ErrorHandlingExtensions
{
    public static void UseUsherErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
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

                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Usher.Server");
                LogUnhandled(logger, context.Request.Path, ex);
                await HttpErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, $"internal error: {ex?.Message}").ConfigureAwait(false);
            },
        });
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var message = context.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no such endpoint: {context.Request.Method} {context.Request.Path}; see docs/protocol.md for the routes",
                StatusCodes.Status405MethodNotAllowed => $"method {context.Request.Method} is not allowed on {context.Request.Path}",
                _ => $"HTTP {context.Response.StatusCode}",
            };
            await HttpErrors.WriteAsync(context, context.Response.StatusCode, message).ConfigureAwait(false);
        });
    }

    [LoggerMessage(LogEvents.UnhandledRequestException, LogLevel.Error, "Unhandled exception on {Path}")]
    private static partial void LogUnhandled(ILogger logger, PathString path, Exception? exception);
}
