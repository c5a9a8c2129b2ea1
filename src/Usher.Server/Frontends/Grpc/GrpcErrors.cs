using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Usher.Core.Inference;
using Usher.Server.Access;

namespace Usher.Server.Frontends.Grpc;

/// <summary>The one place where an <see cref="InferenceErrorKind"/> becomes a gRPC status code.</summary>
internal static class GrpcErrors
{
    /// <summary>The trailer that tells a client how many seconds to wait after RESOURCE_EXHAUSTED, as HTTP's Retry-After does.</summary>
    public const string RetryAfterTrailer = "retry-after";

    public static StatusCode StatusCode(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => global::Grpc.Core.StatusCode.InvalidArgument,
        InferenceErrorKind.NotFound => global::Grpc.Core.StatusCode.NotFound,
        InferenceErrorKind.Unavailable => global::Grpc.Core.StatusCode.Unavailable,
        InferenceErrorKind.ResourceExhausted => global::Grpc.Core.StatusCode.ResourceExhausted,
        InferenceErrorKind.Timeout => global::Grpc.Core.StatusCode.DeadlineExceeded,
        InferenceErrorKind.Canceled => global::Grpc.Core.StatusCode.Cancelled,
        InferenceErrorKind.Internal => global::Grpc.Core.StatusCode.Internal,
        InferenceErrorKind.Unsupported => global::Grpc.Core.StatusCode.Unimplemented,
        _ => global::Grpc.Core.StatusCode.Internal,
    };

    /// <summary>
    /// The error's status: by its kind, except an injected fault, which carries the HTTP status the
    /// operator chose (<c>usher fault --status</c>) and maps to the gRPC code for it.
    /// </summary>
    public static StatusCode StatusCode(InferenceError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Kind != InferenceErrorKind.InjectedFault ? StatusCode(error.Kind) : error.Status switch
        {
            400 => global::Grpc.Core.StatusCode.InvalidArgument,
            401 => global::Grpc.Core.StatusCode.Unauthenticated,
            403 => global::Grpc.Core.StatusCode.PermissionDenied,
            404 => global::Grpc.Core.StatusCode.NotFound,
            429 => global::Grpc.Core.StatusCode.ResourceExhausted,
            500 => global::Grpc.Core.StatusCode.Internal,
            501 => global::Grpc.Core.StatusCode.Unimplemented,
            502 or 503 => global::Grpc.Core.StatusCode.Unavailable,
            504 => global::Grpc.Core.StatusCode.DeadlineExceeded,
            _ => global::Grpc.Core.StatusCode.Unknown,
        };
    }

    /// <summary>The exception that ends a call refused before the model: UNAUTHENTICATED, or RESOURCE_EXHAUSTED with a <c>retry-after</c> trailer.</summary>
    public static RpcException ToException(AccessDenial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        return new RpcException(new Status(StatusCode(denial.Kind), denial.Message), Trailers(denial));
    }

    /// <summary>
    /// Ends a call refused before the service ran (by middleware) with a trailers-only answer carrying
    /// the status, as the service itself would end it.
    /// </summary>
    public static void Refuse(HttpContext context, AccessDenial denial)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(denial);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)StatusCode(denial.Kind)).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(denial.Message);
        foreach (var trailer in Trailers(denial))
        {
            context.Response.Headers[trailer.Key] = trailer.Value;
        }
    }

    private static StatusCode StatusCode(AccessDenialKind kind)
        => kind == AccessDenialKind.Unauthenticated ? global::Grpc.Core.StatusCode.Unauthenticated : global::Grpc.Core.StatusCode.ResourceExhausted;

    private static Metadata Trailers(AccessDenial denial)
        => denial.Kind == AccessDenialKind.RateLimited ? new Metadata { { RetryAfterTrailer, denial.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) } } : [];

    /// <summary>The exception that ends the call with the error's status; gRPC's way to answer a failure.</summary>
    public static RpcException ToException(InferenceError error, int retryAfterSeconds)
    {
        ArgumentNullException.ThrowIfNull(error);
        var trailers = new Metadata();
        if (error.Kind == InferenceErrorKind.ResourceExhausted)
        {
            trailers.Add(RetryAfterTrailer, retryAfterSeconds.ToString(CultureInfo.InvariantCulture));
        }

        return new RpcException(new Status(StatusCode(error), error.Message), trailers);
    }
}
