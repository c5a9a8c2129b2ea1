using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Core.Scheduling;
using Usher.Server.Access;

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

    /// <summary>A refusal before the model: 401 with <c>WWW-Authenticate: Bearer</c>, or 429 with <c>Retry-After</c>.</summary>
    public static Task WriteAsync(HttpContext context, AccessDenial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        if (denial.Kind == AccessDenialKind.Unauthenticated)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return WriteAsync(context, StatusCodes.Status401Unauthorized, denial.Message);
        }

        context.Response.Headers.RetryAfter = denial.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status429TooManyRequests, denial.Message);
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
