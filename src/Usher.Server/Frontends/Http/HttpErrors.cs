using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Core.Scheduling;

namespace Usher.Server.Frontends.Http;

/// <summary>The one place where an <see cref="InferenceErrorKind"/> becomes an HTTP status, and errors become <c>{"error": ...}</c>.</summary>
internal static class HttpErrors
{
    /// <summary>Status 499: the client closed the request (nginx's convention; nobody reads it).</summary>
    public const int ClientClosedRequest = 499;

    public static int StatusCode(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        InferenceErrorKind.NotFound => StatusCodes.Status404NotFound,
        InferenceErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorKind.ResourceExhausted => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorKind.Timeout => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorKind.Canceled => ClientClosedRequest,
        InferenceErrorKind.Internal => StatusCodes.Status500InternalServerError,
        InferenceErrorKind.Unsupported => StatusCodes.Status501NotImplemented,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static Task WriteAsync(HttpContext context, InferenceError error)
    {
        if (error.Kind == InferenceErrorKind.ResourceExhausted)
        {
            var seconds = context.RequestServices.GetService(typeof(SchedulingOptions)) is SchedulingOptions options ? options.RetryAfterSeconds : 1;
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return WriteAsync(context, error.Status ?? StatusCode(error.Kind), error.Message);
    }

    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            JsonInferenceResponseWriter.WriteError(context.Response.BodyWriter, message);
        }

        return Task.CompletedTask;
    }
}
