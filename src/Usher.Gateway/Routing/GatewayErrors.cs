using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Usher.Gateway.Routing;

/// <summary>
/// The gateway's own refusals, in the shape a replica's are: REST <c>{"error": "..."}</c> with a
/// status, gRPC a status (trailers-only) with the message.
/// </summary>
internal static class GatewayErrors
{
    private const string GrpcUnavailable = "14";

    public static async Task WriteUnavailableAsync(HttpContext context, bool grpc, string message)
    {
        var response = context.Response;
        if (grpc)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = GrpcUnavailable;
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, new ErrorBody(message), GatewayJsonContext.Default.ErrorBody, context.RequestAborted).ConfigureAwait(false);
    }
}
