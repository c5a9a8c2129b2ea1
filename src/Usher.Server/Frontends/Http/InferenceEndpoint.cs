using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Routing;
using Usher.Server.Hosting;

namespace Usher.Server.Frontends.Http;

/// <summary><c>POST /v2/models/{m}[/versions/{v}]/infer</c> with a JSON body.</summary>
internal static class InferenceEndpoint
{
    public static async Task InferAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var services = context.RequestServices;
        var limit = services.GetRequiredService<ServerOptions>().MaxRequestBodyBytes;
        var name = RouteValues.Model(context);
        var version = RouteValues.Version(context);
        if (!version.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, version.Error).ConfigureAwait(false);
            return;
        }

        using var body = await RequestBody.ReadAsync(context.Request, limit, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body is larger than the limit of {limit} bytes (server.max_request_body_bytes)").ConfigureAwait(false);
            return;
        }

        var request = JsonInferenceRequestReader.Read(body.Memory, name, version.Value);
        if (!request.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, request.Error).ConfigureAwait(false);
            return;
        }

        var router = services.GetRequiredService<InferenceRouter>();
        var routed = await router.InferAsync(request.Value, Hints(context.Request), context.RequestAborted).ConfigureAwait(false);
        if (routed.Variant is not null)
        {
            context.Response.Headers[RouteHints.VariantHeader] = routed.Variant;
        }

        if (!routed.Result.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, routed.Result.Error).ConfigureAwait(false);
            return;
        }

        var response = routed.Result.Value;
        context.Response.Headers["Server-Timing"] = ServerTiming.Format(response.Timings, Stopwatch.GetElapsedTime(started));
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        JsonInferenceResponseWriter.Write(context.Response.BodyWriter, response);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static RouteHints Hints(HttpRequest request)
    {
        var key = request.Headers[RouteHints.RoutingKeyHeader];
        var pin = request.Headers[RouteHints.VariantHeader];
        return new RouteHints(key.Count > 0 ? key[0] : null, pin.Count > 0 ? pin[0] : null);
    }
}
