using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Usher.Core.Repository;
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

        var models = services.GetRequiredService<ModelManager>();
        var lease = models.Acquire(name, version.Value);
        if (!lease.IsSuccess)
        {
            await HttpErrors.WriteAsync(context, lease.Error).ConfigureAwait(false);
            return;
        }

        var model = lease.Value;
        try
        {
            var request = JsonInferenceRequestReader.Read(body.Memory, name, version.Value);
            if (!request.IsSuccess)
            {
                await HttpErrors.WriteAsync(context, request.Error).ConfigureAwait(false);
                return;
            }

            var response = await model.InferAsync(request.Value, context.RequestAborted).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                await HttpErrors.WriteAsync(context, response.Error).ConfigureAwait(false);
                return;
            }

            context.Response.Headers["Server-Timing"] = ServerTiming.Format(response.Value.Timings, Stopwatch.GetElapsedTime(started));
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            JsonInferenceResponseWriter.Write(context.Response.BodyWriter, response.Value);
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            model.Release();
        }
    }
}
